package sqldb

import (
	"context"
	"strconv"

	"github.com/sesame-sh/sesame/internal/store"
)

// Documents. Versions are numbers in the database and decimal strings in
// the store's records.

const documentCols = `d.name, d.owner, d.document_type, d.description, v.format, v.content,
	v.version, v.version_name, v.created_at, d.default_version, d.latest_version, d.created_at
	FROM documents d JOIN document_versions v ON v.document_name = d.name`

func scanDocument(r scanner) (store.Document, error) {
	var doc store.Document
	var v, def, latest int
	err := r.Scan(&doc.Name, &doc.Owner, &doc.DocumentType, &doc.Description, &doc.Format, &doc.Content,
		&v, ns(&doc.VersionName), tm(&doc.VersionCreatedAt), &def, &latest, tm(&doc.CreatedAt))
	doc.Version, doc.DefaultVersion, doc.LatestVersion = strconv.Itoa(v), strconv.Itoa(def), strconv.Itoa(latest)
	return doc, err
}

// docVersion parses a document version number.
func docVersion(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, ErrNoRows
	}
	return n, nil
}

// CreateDocument implements store.Documents.
func (d *DB) CreateDocument(ctx context.Context, doc store.Document) error {
	at := d.t(d.stamp(doc.CreatedAt))
	err := d.tx(ctx, func(c Conn) error {
		if _, err := c.Exec(ctx, `INSERT INTO documents (name, owner, document_type, description, default_version,
			latest_version, created_at) VALUES (?, ?, ?, ?, 1, 1, ?)`,
			doc.Name, doc.Owner, doc.DocumentType, doc.Description, at); err != nil {
			return err
		}
		if _, err := c.Exec(ctx, `INSERT INTO document_versions (document_name, version, version_name, format,
			content, created_at) VALUES (?, 1, ?, ?, ?, ?)`,
			doc.Name, orNull(doc.VersionName), doc.Format, doc.Content, at); err != nil {
			return err
		}
		return d.addTags(ctx, c, documentTags, doc.Name, doc.Tags)
	})
	return fail(err, "create document %q", doc.Name)
}

// GetDocument implements store.Documents.
func (d *DB) GetDocument(ctx context.Context, name, version string) (store.Document, error) {
	doc, err := d.getDocument(ctx, d.b, name, version)
	return doc, fail(err, "document %q version %q", name, version)
}

func (d *DB) getDocument(ctx context.Context, c Conn, name, version string) (store.Document, error) {
	q := newQuery(`SELECT ` + documentCols)
	q.where("d.name = ?", name)
	switch version {
	case "", store.VersionDefault:
		q.where("v.version = d.default_version")
	case store.VersionLatest:
		q.where("v.version = d.latest_version")
	default:
		n, err := docVersion(version)
		if err != nil {
			return store.Document{}, err
		}
		q.where("v.version = ?", n)
	}
	doc, err := scanDocument(c.QueryRow(ctx, q.b.String(), q.args...))
	if err == nil {
		doc.Tags, err = d.tags(ctx, c, documentTags, name)
	}
	return doc, err
}

// DeleteDocument implements store.Documents.
func (d *DB) DeleteDocument(ctx context.Context, name string) error {
	n, err := d.b.Exec(ctx, `DELETE FROM documents WHERE name = ?`, name)
	if err == nil && n == 0 {
		err = ErrNoRows
	}
	return fail(err, "delete document %q", name)
}

// ListDocuments implements store.DocumentLister.
func (d *DB) ListDocuments(ctx context.Context, f store.DocumentFilter, opts store.ListOptions) (store.Page[store.Document], error) {
	tok, err := decodeToken(opts.Token, 1)
	if err != nil {
		return store.Page[store.Document]{}, fail(err, "list documents")
	}
	q := newQuery(`SELECT ` + documentCols)
	q.where("v.version = d.default_version")
	if f.Owner != "" {
		q.where("d.owner = ?", f.Owner)
	}
	if f.DocumentType != "" {
		q.where("d.document_type = ?", f.DocumentType)
	}
	tagFilters(q, documentTags, "d.name", f.Tags)
	if tok != nil {
		q.where("d.name > ?", tok[0])
	}
	limit := pageSize(opts)
	sql, args := q.page("d.name", limit)
	docs, err := collect(ctx, d.b, sql, args, scanDocument)
	if err != nil {
		return store.Page[store.Document]{}, fail(err, "list documents")
	}
	p := finish(docs, limit, func(doc store.Document) []string { return []string{doc.Name} })
	m, err := d.tagsOf(ctx, d.b, documentTags, ids(p.Items, func(doc store.Document) string { return doc.Name }))
	attachTags(p.Items, m, func(doc *store.Document) (string, *[]store.Tag) { return doc.Name, &doc.Tags })
	return p, fail(err, "list documents")
}

// ListDocumentVersions implements store.DocumentLister.
func (d *DB) ListDocumentVersions(ctx context.Context, name string, opts store.ListOptions) (store.Page[store.DocumentVersion], error) {
	p, err := d.listDocumentVersions(ctx, name, opts)
	return p, fail(err, "list versions of document %q", name)
}

func (d *DB) listDocumentVersions(ctx context.Context, name string, opts store.ListOptions) (store.Page[store.DocumentVersion], error) {
	var none store.Page[store.DocumentVersion]
	var def int
	if err := d.b.QueryRow(ctx, `SELECT default_version FROM documents WHERE name = ?`, name).Scan(&def); err != nil {
		return none, err
	}
	tok, err := decodeToken(opts.Token, 1)
	if err != nil {
		return none, err
	}
	q := newQuery(`SELECT version, version_name, format, created_at FROM document_versions`)
	q.where("document_name = ?", name)
	if tok != nil {
		n, err := strconv.Atoi(tok[0])
		if err != nil {
			return none, store.ErrInvalidToken
		}
		q.where("version > ?", n)
	}
	limit := pageSize(opts)
	sql, args := q.page("version", limit)
	vs, err := collect(ctx, d.b, sql, args, func(r scanner) (store.DocumentVersion, error) {
		var v store.DocumentVersion
		var n int
		err := r.Scan(&n, ns(&v.VersionName), &v.Format, tm(&v.CreatedAt))
		v.Version, v.Default = strconv.Itoa(n), n == def
		return v, err
	})
	if err != nil {
		return none, err
	}
	return finish(vs, limit, func(v store.DocumentVersion) []string { return []string{v.Version} }), nil
}

// UpdateDocument implements store.DocumentVersions.
func (d *DB) UpdateDocument(ctx context.Context, name string, u store.DocumentUpdate) (store.Document, error) {
	var doc store.Document
	err := d.tx(ctx, func(c Conn) error {
		var latest, count int
		var content, format string
		if err := c.QueryRow(ctx, `SELECT latest_version FROM documents WHERE name = ?`+d.forUpdate, name).Scan(&latest); err != nil {
			return err
		}
		if err := c.QueryRow(ctx, `SELECT v.content, v.format, (SELECT COUNT(*) FROM document_versions c WHERE c.document_name = v.document_name)
			FROM document_versions v WHERE v.document_name = ? AND v.version = ?`, name, latest).Scan(&content, &format, &count); err != nil {
			return err
		}
		switch {
		case content == u.Content:
			return store.ErrExists
		case count >= store.MaxDocumentVersions:
			return store.ErrLimitExceeded
		}
		if u.Format != "" {
			format = u.Format
		}
		if _, err := c.Exec(ctx, `INSERT INTO document_versions (document_name, version, version_name, format,
			content, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			name, latest+1, orNull(u.VersionName), format, u.Content, d.t(d.nowMicro())); err != nil {
			return err
		}
		if _, err := c.Exec(ctx, `UPDATE documents SET latest_version = ? WHERE name = ?`, latest+1, name); err != nil {
			return err
		}
		var err error
		doc, err = d.getDocument(ctx, c, name, strconv.Itoa(latest+1))
		return err
	})
	return doc, fail(err, "update document %q", name)
}

// SetDefaultDocumentVersion implements store.DocumentVersions.
func (d *DB) SetDefaultDocumentVersion(ctx context.Context, name, version string) error {
	num, err := docVersion(version)
	if err == nil {
		var n int64
		n, err = d.b.Exec(ctx, `UPDATE documents SET default_version = ? WHERE name = ?
			AND EXISTS (SELECT 1 FROM document_versions v WHERE v.document_name = documents.name AND v.version = ?)`,
			num, name, num)
		if err == nil && n == 0 {
			err = ErrNoRows
		}
	}
	return fail(err, "set default version of document %q to %q", name, version)
}
