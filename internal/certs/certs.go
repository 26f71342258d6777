// Package certs creates and loads the TLS material a sesame server uses
// by default: a private certificate authority made on first start, and a
// server certificate it signs for the names the server answers on. Users
// trust the CA (AWS_CA_BUNDLE, the aws CLI's --ca-bundle, SSL_CERT_FILE).
package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// Files are where a data directory keeps its TLS material.
type Files struct {
	CACert, CAKey, Cert, Key string
}

// In returns the file names under dir.
func In(dir string) Files {
	return Files{
		CACert: filepath.Join(dir, "ca.pem"),
		CAKey:  filepath.Join(dir, "ca-key.pem"),
		Cert:   filepath.Join(dir, "server.pem"),
		Key:    filepath.Join(dir, "server-key.pem"),
	}
}

// Config says what to create.
type Config struct {
	Files Files
	// Hosts are the DNS names and IP addresses the server certificate
	// covers; localhost, 127.0.0.1 and ::1 are always included.
	Hosts []string
	Now   func() time.Time
	Rand  io.Reader
}

// Ensure loads the server certificate, creating the CA and a server
// certificate when they are missing, and renewing the server certificate
// when it expires within 30 days or does not cover every host. created is
// true when a new CA was made (the caller tells the user how to trust it).
func Ensure(cfg Config) (cert tls.Certificate, created bool, err error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	hosts := append([]string{"localhost", "127.0.0.1", "::1"}, cfg.Hosts...)
	ca, caKey, err := loadPair(cfg.Files.CACert, cfg.Files.CAKey)
	if errors.Is(err, os.ErrNotExist) {
		if ca, caKey, err = newCA(cfg); err != nil {
			return tls.Certificate{}, false, err
		}
		created = true
	} else if err != nil {
		return tls.Certificate{}, false, fmt.Errorf("load CA: %w", err)
	}
	leaf, _, err := loadPair(cfg.Files.Cert, cfg.Files.Key)
	if err != nil || created || !covers(leaf, hosts) || cfg.Now().Add(30*24*time.Hour).After(leaf.NotAfter) {
		if err := newServerCert(cfg, ca, caKey, hosts); err != nil {
			return tls.Certificate{}, created, err
		}
	}
	cert, err = tls.LoadX509KeyPair(cfg.Files.Cert, cfg.Files.Key)
	if err != nil {
		return tls.Certificate{}, created, fmt.Errorf("load server certificate: %w", err)
	}
	return cert, created, nil
}

func covers(c *x509.Certificate, hosts []string) bool {
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			if !slices.ContainsFunc(c.IPAddresses, ip.Equal) {
				return false
			}
		} else if !slices.Contains(c.DNSNames, h) {
			return false
		}
	}
	return true
}

func loadPair(certFile, keyFile string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, nil, err
	}
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, nil, fmt.Errorf("%s or %s is not PEM", certFile, keyFile)
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, nil, err
	}
	key, err := x509.ParseECPrivateKey(kb.Bytes)
	if err != nil {
		return nil, nil, err
	}
	return cert, key, nil
}

func serial(r io.Reader) (*big.Int, error) {
	return rand.Int(r, new(big.Int).Lsh(big.NewInt(1), 127))
}

func newCA(cfg Config) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), cfg.Rand)
	if err != nil {
		return nil, nil, err
	}
	sn, err := serial(cfg.Rand)
	if err != nil {
		return nil, nil, err
	}
	now := cfg.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          sn,
		Subject:               pkix.Name{CommonName: "sesame local CA", Organization: []string{"sesame"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(cfg.Rand, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	if err := writePair(cfg.Files.CACert, cfg.Files.CAKey, der, key); err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, err
}

func newServerCert(cfg Config, ca *x509.Certificate, caKey *ecdsa.PrivateKey, hosts []string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), cfg.Rand)
	if err != nil {
		return err
	}
	sn, err := serial(cfg.Rand)
	if err != nil {
		return err
	}
	now := cfg.Now()
	tmpl := &x509.Certificate{
		SerialNumber: sn,
		Subject:      pkix.Name{CommonName: hosts[0], Organization: []string{"sesame"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if !slices.Contains(tmpl.DNSNames, h) {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(cfg.Rand, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	return writePair(cfg.Files.Cert, cfg.Files.Key, der, key)
}

// writePair writes a certificate (0644) and its key (0600), each through a
// temporary file and a rename so a crash never leaves half a file.
func writePair(certFile, keyFile string, der []byte, key *ecdsa.PrivateKey) error {
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	if err := writeFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		return err
	}
	return writeFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

func writeFile(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
