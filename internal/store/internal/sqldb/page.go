package sqldb

import (
	"encoding/base64"
	"strings"

	"github.com/sesame-sh/sesame/internal/store"
)

// Lists page by key (keyset pagination): a page asks for one row more
// than its limit, and the token is the sort key of its last row, so a
// page is one index range scan however deep it is. Tokens are opaque to
// callers: base64url of the key's parts, NUL-separated.

func pageSize(o store.ListOptions) int {
	switch {
	case o.Limit <= 0:
		return store.DefaultPageSize
	case o.Limit > store.MaxPageSize:
		return store.MaxPageSize
	}
	return o.Limit
}

func encodeToken(parts ...string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Join(parts, "\x00")))
}

// decodeToken returns the token's n parts, or nil for the first page.
func decodeToken(tok string, n int) ([]string, error) {
	if tok == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return nil, store.ErrInvalidToken
	}
	parts := strings.Split(string(b), "\x00")
	if len(parts) != n {
		return nil, store.ErrInvalidToken
	}
	return parts, nil
}

// finish trims a page fetched with one extra row and sets its token from
// the key of its last item.
func finish[T any](items []T, limit int, key func(T) []string) store.Page[T] {
	if len(items) <= limit {
		return store.Page[T]{Items: items}
	}
	items = items[:limit]
	return store.Page[T]{Items: items, NextToken: encodeToken(key(items[limit-1])...)}
}
