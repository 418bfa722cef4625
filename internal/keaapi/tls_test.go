package keaapi

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pki makes a CA and one certificate it signs, written as PEM files.
func pki(t *testing.T) (caFile string, ca *x509.Certificate, caKey *ecdsa.PrivateKey, issue func(name string, server bool) (certFile, keyFile string)) {
	dir := t.TempDir()
	caKey, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "keaops test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &caKey.PublicKey, caKey)
	ca, _ = x509.ParseCertificate(der)
	caFile = filepath.Join(dir, "ca.pem")
	os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	serial := int64(2)
	issue = func(name string, server bool) (string, string) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		c := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
		serial++
		if server {
			c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
			c.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
		}
		der, _ := x509.CreateCertificate(rand.Reader, c, ca, &key.PublicKey, caKey)
		kb, _ := x509.MarshalECPrivateKey(key)
		cf, kf := filepath.Join(dir, name+".pem"), filepath.Join(dir, name+".key")
		os.WriteFile(cf, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
		os.WriteFile(kf, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
		return cf, kf
	}
	return caFile, ca, caKey, issue
}

func TestMutualTLS(t *testing.T) {
	caFile, ca, _, issue := pki(t)
	srvCert, srvKey := issue("server", true)
	cliCert, cliKey := issue("client", false)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	cert, err := tls.LoadX509KeyPair(srvCert, srvKey)
	if err != nil {
		t.Fatal(err)
	}
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`[{"result": 0, "text": "2.6.3"}]`))
	}))
	s.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert}
	s.StartTLS()
	defer s.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	good, err := New(Endpoint{URL: s.URL, CAFile: caFile, CertFile: cliCert, KeyFile: cliKey, Retries: 1})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := good.Version(ctx); err != nil || v != "2.6.3" {
		t.Fatalf("with a client certificate: %q, %v", v, err)
	}
	noCert, _ := New(Endpoint{URL: s.URL, CAFile: caFile, Retries: 1})
	noCert.http.RetryWaitMin, noCert.http.RetryWaitMax = time.Millisecond, time.Millisecond
	if _, err := noCert.Version(ctx); err == nil {
		t.Error("the server accepted a client without a certificate")
	}
	untrusted, _ := New(Endpoint{URL: s.URL, CertFile: cliCert, KeyFile: cliKey, Retries: 1})
	if _, err := untrusted.Version(ctx); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("a server signed by an unknown CA was trusted: %v", err)
	}
	if _, err := New(Endpoint{URL: s.URL, CAFile: "/nonexistent/ca.pem"}); err == nil {
		t.Error("a missing CA bundle was accepted")
	}
}
