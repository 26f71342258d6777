package sigv4_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/sesame-sh/sesame/internal/sigv4"
)

func Example() {
	alice := sigv4.Credentials{
		AccessKeyID: "AKIAIOSFODNN7EXAMPLE",
		Secret:      "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		Principal:   "arn:aws:iam::123456789012:user/alice",
	}
	keys := sigv4.KeysFunc(func(_ context.Context, id string) (sigv4.Credentials, error) {
		if id == alice.AccessKeyID {
			return alice, nil
		}
		return sigv4.Credentials{}, sigv4.ErrUnknownKey
	})
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	v, err := sigv4.New(sigv4.Config{Keys: keys, Clock: func() time.Time { return at }})
	if err != nil {
		panic(err)
	}

	body := []byte(`{}`)
	r := httptest.NewRequest("POST", "https://sesame.example:8443/", strings.NewReader(string(body)))
	r.Header.Set("X-Amz-Target", "AmazonSSM.DescribeSessions")
	if err := sigv4.Sign(r, body, alice, "us-east-1", "ssm", at); err != nil {
		panic(err)
	}
	res, err := v.Verify(r, body)
	fmt.Println(res.Principal, res.Service, res.SignedHeaders, err)

	// A tampered request fails with AWS's error, rendered per protocol.
	r.Header.Set("X-Amz-Target", "AmazonSSM.TerminateSession")
	_, err = v.Verify(r, body)
	var e *sigv4.Error
	if errors.As(err, &e) {
		fmt.Println(e.HTTPStatus(sigv4.JSON), e.Code(sigv4.JSON))
		fmt.Println(e.HTTPStatus(sigv4.Query), e.Code(sigv4.Query))
	}
	// Output:
	// arn:aws:iam::123456789012:user/alice ssm [host x-amz-date x-amz-target] <nil>
	// 400 InvalidSignatureException
	// 403 SignatureDoesNotMatch
}
