package forwarder

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dlv "github.com/popinbridge/bridge/internal/delivery"
	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/testkit"
	"github.com/popinbridge/bridge/internal/testkit/testpki"
)

// egressRig is the loopback world of the endpoint auth and egress test: an
// OAuth2 token endpoint, a receiver of bearer tokens, an mTLS receiver and
// a CONNECT proxy on 127.0.0.2.
type egressRig struct {
	ca       *testpki.CA
	client   testpki.Pair
	tokens   atomic.Int64 // tokens issued
	tokenSrv *httptest.Server
	bearer   *httptest.Server
	mtls     *httptest.Server
	proxy    *tunnelProxy

	mu        sync.Mutex
	refuse    string         // the token the bearer receiver refuses
	got       map[string]int // OK requests by path
	peers     map[string][]string
	mtlsClose int // mTLS connections closed
}

func newEgressRig(t *testing.T) *egressRig {
	g := &egressRig{ca: testpki.NewCA(t, "egress"), got: map[string]int{}, peers: map[string][]string{}}
	g.client = g.ca.Client("bridge")
	g.tokenSrv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id, secret, _ := r.BasicAuth(); id != "bridge" || secret != "s3cret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"Bearer","expires_in":3600}`, g.tokens.Add(1))
	}))
	t.Cleanup(g.tokenSrv.Close)
	g.bearer = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		g.mu.Lock()
		defer g.mu.Unlock()
		if !strings.HasPrefix(auth, "Bearer tok-") || auth == "Bearer "+g.refuse {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		g.got[r.URL.Path]++
	}))
	t.Cleanup(g.bearer.Close)
	g.mtls = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		defer g.mu.Unlock()
		g.got[r.URL.Path]++
		g.peers[r.URL.Path] = append(g.peers[r.URL.Path], r.RemoteAddr)
	}))
	g.mtls.TLS = &tls.Config{Certificates: []tls.Certificate{g.ca.Server().TLS(t)}, ClientCAs: g.ca.Pool(), ClientAuth: tls.RequireAndVerifyClientCert}
	g.mtls.Config.ErrorLog = log.New(io.Discard, "", 0)
	g.mtls.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateClosed {
			g.mu.Lock()
			g.mtlsClose++
			g.mu.Unlock()
		}
	}
	g.mtls.StartTLS()
	t.Cleanup(g.mtls.Close)
	g.proxy = newTunnelProxy(t, "127.0.0.2:0")
	return g
}

func (g *egressRig) count(path string) int { g.mu.Lock(); defer g.mu.Unlock(); return g.got[path] }

func (g *egressRig) endpoints() []endpoint.Endpoint {
	oauth := endpoint.Endpoint{ID: "oauth", Site: "acme", Type: endpoint.TypeWebhook, URL: g.bearer.URL + "/oauth", Auth: endpoint.AuthNone,
		OAuth2: &endpoint.OAuth2{TokenURL: g.tokenSrv.URL + "/token", ClientID: "bridge", ClientSecret: "s3cret", Scopes: []string{"leads"}}}
	cert := &endpoint.TLS{CertPEM: g.client.CertPEM, Key: g.client.KeyPEM, CAPEM: g.ca.PEM}
	mtls := endpoint.Endpoint{ID: "mtls", Site: "acme", Type: endpoint.TypeWebhook, URL: g.mtls.URL + "/mtls", Auth: endpoint.AuthNone, TLS: cert}
	nocert := endpoint.Endpoint{ID: "nocert", Site: "acme", Type: endpoint.TypeWebhook, URL: g.mtls.URL + "/nocert", Auth: endpoint.AuthNone,
		TLS: &endpoint.TLS{CAPEM: g.ca.PEM}}
	proxied := endpoint.Endpoint{ID: "proxied", Site: "acme", Type: endpoint.TypeWebhook, URL: g.mtls.URL + "/proxied", Auth: endpoint.AuthNone,
		TLS: cert, ProxyURL: g.proxy.url()}
	return []endpoint.Endpoint{oauth, mtls, nocert, proxied}
}

// TestEndpointAuthAndEgress: an OAuth2 endpoint fetches one token for many
// deliveries and a new one, once, when the receiver refuses it; an mTLS
// endpoint delivers with its certificate and fails permanently without;
// every delivery of a proxied endpoint goes through the proxy's tunnels;
// clients live as long as their endpoint's version.
func TestEndpointAuthAndEgress(t *testing.T) {
	g := newEgressRig(t)
	cfg := testConfig()
	cfg.AllowedPrivateTargets = []string{"127.0.0.1/32", "127.0.0.2/32"}
	e := newEnv(t, cfg)
	ctx := context.Background()
	eps := g.endpoints()
	if err := e.f.SetEndpoints(ctx, eps); err != nil {
		t.Fatal(err)
	}
	const n = 6
	for range n {
		e.log.Append(testEvent("popin_captured"))
	}
	rowsOf := func(id string, want int) error {
		if got := len(e.w.forEndpoint(id)); got != want {
			return fmt.Errorf("%s: %d rows, want %d", id, got, want)
		}
		return nil
	}
	testkit.Eventually(t, 20*time.Second, func() error {
		for _, id := range []string{"oauth", "mtls", "nocert", "proxied"} {
			if err := rowsOf(id, n); err != nil {
				return err
			}
		}
		return nil
	})
	for _, id := range []string{"oauth", "mtls", "proxied"} {
		for _, r := range e.w.forEndpoint(id) {
			if !r.OK {
				t.Fatalf("%s: %+v", id, r)
			}
		}
	}
	if got := g.count("/oauth"); got != n || g.tokens.Load() != 1 {
		t.Fatalf("oauth: %d delivered with %d tokens, want %d with 1", got, g.tokens.Load(), n)
	}
	if h := e.w.forEndpoint("oauth")[0].RequestHeaders["authorization"]; h != "REDACTED" {
		t.Fatalf("logged authorization %q", h)
	}
	for _, r := range e.w.forEndpoint("nocert") {
		if r.OK || r.State != dlv.StateDead || r.Attempt != 1 || !strings.Contains(r.Error, "refused the client certificate") {
			t.Fatalf("nocert: want a permanent failure naming the client certificate: %+v", r)
		}
	}
	if g.count("/mtls") != n || g.count("/proxied") != n || g.count("/nocert") != 0 {
		t.Fatalf("mtls receiver got %v", g.got)
	}
	// Every proxied request came from a tunnel the proxy opened.
	tunnels := g.proxy.upstreams()
	if len(tunnels) == 0 {
		t.Fatal("no CONNECT")
	}
	g.mu.Lock()
	for _, peer := range g.peers["/proxied"] {
		if !tunnels[peer] {
			t.Errorf("proxied request from %s, not through the proxy (tunnels %v)", peer, tunnels)
		}
	}
	for _, peer := range g.peers["/mtls"] {
		if tunnels[peer] {
			t.Errorf("a direct endpoint's request went through the proxy")
		}
	}
	g.mu.Unlock()

	// The receiver revokes tok-1: one refused request, one new token.
	g.mu.Lock()
	g.refuse = "tok-1"
	g.mu.Unlock()
	e.log.Append(testEvent("popin_captured"))
	testkit.Eventually(t, 10*time.Second, func() error { return rowsOf("oauth", n+1) })
	if rows := e.w.forEndpoint("oauth"); !rows[n].OK || g.count("/oauth") != n+1 || g.tokens.Load() != 2 {
		t.Fatalf("after revocation: %+v, %d delivered, %d tokens; want ok, %d, 2", rows[n], g.count("/oauth"), g.tokens.Load(), n+1)
	}

	// A bookkeeping change keeps the runtimes (and their clients and
	// tokens); a changed endpoint gets new ones and the old connections
	// are closed.
	before := e.f.routes.Load().byID
	eps[0].Description, eps[1].Description = "CRM", "ERP"
	eps[1].TLS.ServerName = "localhost"
	if err := e.f.SetEndpoints(ctx, eps); err != nil {
		t.Fatal(err)
	}
	after := e.f.routes.Load().byID
	if after["oauth"] != before["oauth"] || after["mtls"] == before["mtls"] {
		t.Fatal("runtimes not kept per endpoint version")
	}
	testkit.Eventually(t, 10*time.Second, func() error {
		g.mu.Lock()
		defer g.mu.Unlock()
		if g.mtlsClose == 0 {
			return fmt.Errorf("the replaced mtls client's connections are still open")
		}
		return nil
	})
	e.log.Append(testEvent("popin_captured"))
	testkit.Eventually(t, 10*time.Second, func() error { return rowsOf("mtls", n+2) })
	if g.tokens.Load() != 2 || g.count("/mtls") != n+2 {
		t.Fatalf("after the change: %d tokens, %d mtls deliveries", g.tokens.Load(), g.count("/mtls"))
	}

	// A proxied endpoint's target is still judged by the guard.
	bad := eps[3]
	bad.ID, bad.URL = "private", "https://127.0.0.3:1/hook"
	err := e.f.SetEndpoints(ctx, append(eps, bad))
	if err == nil || !strings.Contains(e.f.Problems()["private"], "ssrf guard") {
		t.Fatalf("a private target behind a proxy: %v", err)
	}
}

// tunnelProxy is a loopback HTTP CONNECT proxy; it remembers the local
// address of each upstream connection it opened.
type tunnelProxy struct {
	ln  net.Listener
	mu  sync.Mutex
	ups map[string]bool
}

func newTunnelProxy(t *testing.T, addr string) *tunnelProxy {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	p := &tunnelProxy{ln: ln, ups: map[string]bool{}}
	srv := &http.Server{Handler: p}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return p
}

func (p *tunnelProxy) url() string { return "http://" + p.ln.Addr().String() }

func (p *tunnelProxy) upstreams() map[string]bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]bool, len(p.ups))
	for k := range p.ups {
		out[k] = true
	}
	return out
}

func (p *tunnelProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect {
		http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
		return
	}
	up, err := net.DialTimeout("tcp", r.Host, 2*time.Second)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	p.mu.Lock()
	p.ups[up.LocalAddr().String()] = true
	p.mu.Unlock()
	w.WriteHeader(http.StatusOK)
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		up.Close()
		return
	}
	if n := rw.Reader.Buffered(); n > 0 {
		b, _ := rw.Reader.Peek(n)
		_, _ = up.Write(b)
	}
	go func() { _, _ = io.Copy(up, conn); up.Close() }()
	_, _ = io.Copy(conn, up)
	conn.Close()
}
