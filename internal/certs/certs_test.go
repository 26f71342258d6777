package certs

import (
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"
)

func TestEnsureCreatesTrustedCertificate(t *testing.T) {
	files := In(t.TempDir())
	cert, created, err := Ensure(Config{Files: files, Hosts: []string{"sesame.example"}})
	if err != nil || !created {
		t.Fatalf("Ensure: created=%v err=%v", created, err)
	}
	if st, err := os.Stat(files.CAKey); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("CA key mode: %v %v", st.Mode(), err)
	}
	// A second start reuses everything.
	again, created, err := Ensure(Config{Files: files, Hosts: []string{"sesame.example"}})
	if err != nil || created || string(again.Certificate[0]) != string(cert.Certificate[0]) {
		t.Errorf("second Ensure: created=%v err=%v same=%v", created, err, string(again.Certificate[0]) == string(cert.Certificate[0]))
	}
	// A client that trusts the CA reaches the server by name and address.
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	defer srv.Close()
	caPEM, _ := os.ReadFile(files.CACert)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get(srv.URL)
	if err != nil {
		t.Fatalf("TLS to 127.0.0.1 with the CA: %v", err)
	}
	resp.Body.Close()
	leaf, _ := x509.ParseCertificate(cert.Certificate[0])
	if err := leaf.VerifyHostname("sesame.example"); err != nil {
		t.Error(err)
	}
}

func TestEnsureRenewsForNewHostAndExpiry(t *testing.T) {
	files := In(t.TempDir())
	first, _, err := Ensure(Config{Files: files})
	if err != nil {
		t.Fatal(err)
	}
	withHost, created, err := Ensure(Config{Files: files, Hosts: []string{"10.1.2.3"}})
	if err != nil || created || string(withHost.Certificate[0]) == string(first.Certificate[0]) {
		t.Fatalf("new host did not renew the server certificate (created=%v err=%v)", created, err)
	}
	later := func() time.Time { return time.Now().AddDate(0, 11, 10) }
	renewed, _, err := Ensure(Config{Files: files, Hosts: []string{"10.1.2.3"}, Now: later})
	if err != nil || string(renewed.Certificate[0]) == string(withHost.Certificate[0]) {
		t.Errorf("certificate near expiry was not renewed: %v", err)
	}
}
