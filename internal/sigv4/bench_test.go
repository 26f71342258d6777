package sigv4

import (
	"context"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// BenchmarkVerify measures Verify on the requests sesame serves most: an
// SSM call signed like the aws CLI signs it, a presigned data-channel URL,
// and an SDK-signed request whose unnormalized path makes Verify try two
// canonical forms.
func BenchmarkVerify(b *testing.B) {
	sdkReq := func() (*http.Request, []byte) {
		r, _ := http.NewRequest("GET", "http://127.0.0.1:8443/v1//data-channel/s-1?role=publish_subscribe", nil)
		if err := v4.NewSigner().SignHTTP(context.Background(), sdkCreds(longTerm), r, emptySHA256, "ssmmessages", "us-east-1", now); err != nil {
			b.Fatal(err)
		}
		return onTheWire(b, r)
	}
	cases := []struct {
		name string
		req  func() (*http.Request, []byte)
	}{
		{"header", func() (*http.Request, []byte) { return onTheWire(b, ssmRequest(b, temporary, now)) }},
		{"presigned", func() (*http.Request, []byte) { return onTheWire(b, presigned(b, temporary, now, 900e9)) }},
		{"sdk-two-forms", sdkReq},
	}
	v := newVerifier(b, now, Config{})
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			r, body := c.req()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(r, body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
