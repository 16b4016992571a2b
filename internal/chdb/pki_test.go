package chdb_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/popinbridge/bridge/internal/testkit/testpki"
)

// testPKI is a testpki CA whose certificates are written as PEM files in a
// temp dir, as the ClickHouse config and the TLS settings take them.
type testPKI struct {
	t      *testing.T
	ca     *testpki.CA
	dir    string
	CAFile string
}

// newPKI makes a CA named name and writes its certificate to CAFile.
func newPKI(t *testing.T, name string) *testPKI {
	t.Helper()
	p := &testPKI{t: t, ca: testpki.NewCA(t, name), dir: t.TempDir()}
	p.CAFile = p.write(name+"-ca.pem", p.ca.PEM)
	return p
}

// server signs a server certificate for localhost and 127.0.0.1 and
// returns the paths of its PEM certificate and key, named name.
func (p *testPKI) server(name string) (certFile, keyFile string) {
	return p.writePair(name, p.ca.Server())
}

// client signs a client certificate named name and returns the paths of
// its PEM certificate and key.
func (p *testPKI) client(name string) (certFile, keyFile string) {
	return p.writePair(name, p.ca.Client(name))
}

func (p *testPKI) writePair(name string, pair testpki.Pair) (certFile, keyFile string) {
	return p.write(name+".crt", pair.CertPEM), p.write(name+".key", pair.KeyPEM)
}

func (p *testPKI) write(name, pem string) string {
	p.t.Helper()
	path := filepath.Join(p.dir, name)
	if err := os.WriteFile(path, []byte(pem), 0o600); err != nil {
		p.t.Fatal(err)
	}
	return path
}
