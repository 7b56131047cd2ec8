package web

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// selfSigned writes a certificate for 127.0.0.1 and its key as PEM files
// in dir and returns their paths and the certificate.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, cert *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "evote test node"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	if cert, err = x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile = writeFile(t, dir, "node.crt", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	keyFile = writeFile(t, dir, "node.key", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}))
	return certFile, keyFile, cert
}

// TestListenTLS: with a certificate and its key the node serves HTTPS
// only, with Strict-Transport-Security on every answer; a plain HTTP
// request to the port is answered 400, with nothing of the API; a missing
// or mismatched file is refused at start, naming the files.
func TestListenTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, cert := selfSigned(t, dir)
	log := slog.New(slog.DiscardHandler)
	l, err := Listen(nil, "127.0.0.1:0", Config{TLSCert: certFile, TLSKey: keyFile}, log)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Stop()
	if !strings.HasPrefix(l.URL, "https://") {
		t.Fatalf("the listener's URL %q", l.URL)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get(l.URL + "/api/v1/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "openapi:") || resp.TLS == nil {
		t.Fatalf("over TLS: %d, %d bytes", resp.StatusCode, len(body))
	}
	if hsts := resp.Header.Get("Strict-Transport-Security"); !strings.HasPrefix(hsts, "max-age=") {
		t.Errorf("Strict-Transport-Security %q", hsts)
	}
	plain, err := http.Get("http://" + strings.TrimPrefix(l.URL, "https://") + "/api/v1/openapi.yaml")
	if err == nil {
		b, _ := io.ReadAll(plain.Body)
		plain.Body.Close()
		if plain.StatusCode != http.StatusBadRequest || strings.Contains(string(b), "openapi:") {
			t.Errorf("plain HTTP to the TLS port: %d %q", plain.StatusCode, b)
		}
	}

	if _, err := Listen(nil, "127.0.0.1:0", Config{TLSCert: filepath.Join(dir, "none.crt"), TLSKey: keyFile}, log); err == nil || !strings.Contains(err.Error(), "none.crt") {
		t.Errorf("a missing certificate: %v", err)
	}
	_, otherKey, _ := selfSigned(t, t.TempDir())
	if _, err := Listen(nil, "127.0.0.1:0", Config{TLSCert: certFile, TLSKey: otherKey}, log); err == nil || !strings.Contains(err.Error(), "node.crt") {
		t.Errorf("a key of another certificate: %v", err)
	}
	if _, err := Listen(nil, "127.0.0.1:0", Config{TLSCert: certFile}, log); err == nil {
		t.Error("a certificate without its key was taken")
	}
	// Without TLS, no Strict-Transport-Security.
	plainL, err := Listen(nil, "127.0.0.1:0", Config{}, log)
	if err != nil {
		t.Fatal(err)
	}
	defer plainL.Stop()
	r, err := http.Get(plainL.URL + "/api/v1/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.Header.Get("Strict-Transport-Security") != "" {
		t.Error("plain HTTP sends Strict-Transport-Security")
	}
}
