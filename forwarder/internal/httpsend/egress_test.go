package httpsend

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/retry"
	"github.com/popinbridge/bridge/internal/ssrf"
	"github.com/popinbridge/bridge/internal/testkit/testpki"
)

// tokenServer is an OAuth2 token endpoint on loopback: it issues tok-1,
// tok-2, … valid for life seconds to client bridge/s3cret, and counts
// requests.
type tokenServer struct {
	srv    *httptest.Server
	issued atomic.Int64
	life   int
	status int // answer this instead when set
	mu     sync.Mutex
	forms  []url.Values
}

func newTokenServer(t *testing.T, life int) *tokenServer {
	ts := &tokenServer{life: life}
	ts.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		ts.mu.Lock()
		ts.forms = append(ts.forms, r.PostForm)
		status := ts.status
		ts.mu.Unlock()
		id, secret, ok := r.BasicAuth()
		if status == 0 && (!ok || id != "bridge" || secret != "s3cret" || r.PostForm.Get("grant_type") != "client_credentials") {
			status = http.StatusUnauthorized
		}
		w.Header().Set("Content-Type", "application/json")
		if status != 0 {
			w.WriteHeader(status)
			fmt.Fprint(w, `{"error":"invalid_client","error_description":"unknown client"}`)
			return
		}
		n := ts.issued.Add(1)
		fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"Bearer","expires_in":%d}`, n, ts.life)
	}))
	t.Cleanup(ts.srv.Close)
	return ts
}

func (ts *tokenServer) oauth2() endpoint.OAuth2 {
	return endpoint.OAuth2{TokenURL: ts.srv.URL + "/token", ClientID: "bridge", ClientSecret: "s3cret",
		Scopes: []string{"leads:write", "calls:write"}, Audience: "https://crm.example", AuthStyle: endpoint.OAuth2AuthHeader}
}

func loopGuard(t *testing.T, allowed ...string) *ssrf.Guard {
	g, err := ssrf.New(allowed)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestTokensCachedAndRefreshed(t *testing.T) {
	ts := newTokenServer(t, 3600)
	c := New(loopGuard(t, "127.0.0.0/8"), 2*time.Second, 4, 1<<16)
	tokens := NewTokens(ts.oauth2(), c, 2*time.Second)
	now := time.Now()
	tokens.now = func() time.Time { return now }
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if tok, err := tokens.Token(ctx); err != nil || tok != "tok-1" {
				t.Errorf("token %q, %v", tok, err)
			}
		})
	}
	wg.Wait()
	if n := ts.issued.Load(); n != 1 {
		t.Fatalf("20 concurrent requests fetched %d tokens, want 1", n)
	}
	f := ts.forms[0]
	if f.Get("scope") != "leads:write calls:write" || f.Get("audience") != "https://crm.example" || f.Get("client_secret") != "" {
		t.Fatalf("token request form %v", f)
	}
	now = now.Add(58 * time.Minute) // before expiry less the margin
	if tok, _ := tokens.Token(ctx); tok != "tok-1" || ts.issued.Load() != 1 {
		t.Fatalf("refreshed too early: %q", tok)
	}
	now = now.Add(time.Minute + time.Second) // within a minute of expiry
	if tok, _ := tokens.Token(ctx); tok != "tok-2" {
		t.Fatalf("not refreshed before expiry: %q", tok)
	}
	tokens.Invalidate("tok-1") // stale: keeps tok-2
	if tok, _ := tokens.Token(ctx); tok != "tok-2" {
		t.Fatalf("a stale invalidation dropped the token: %q", tok)
	}
	tokens.Invalidate("tok-2")
	if tok, _ := tokens.Token(ctx); tok != "tok-3" || tokens.Fetches() != 3 {
		t.Fatalf("after invalidation: %q, %d fetches", tok, tokens.Fetches())
	}
}

func TestTokenErrors(t *testing.T) {
	ts := newTokenServer(t, 60)
	guard := loopGuard(t, "127.0.0.0/8")
	for _, tc := range []struct {
		name      string
		status    int
		o         func(endpoint.OAuth2) endpoint.OAuth2
		guard     *ssrf.Guard
		permanent bool
		want      string
	}{
		{"wrong secret", 0, func(o endpoint.OAuth2) endpoint.OAuth2 { o.ClientSecret = "wrong-secret"; return o }, guard, true, "invalid_client"},
		{"token endpoint down", http.StatusServiceUnavailable, nil, guard, false, "503"},
		{"rate limited", http.StatusTooManyRequests, nil, guard, false, "429"},
		{"token_url refused by the guard", 0, nil, loopGuard(t), true, "ssrf guard"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts.mu.Lock()
			ts.status = tc.status
			ts.mu.Unlock()
			o := ts.oauth2()
			if tc.o != nil {
				o = tc.o(o)
			}
			_, err := NewTokens(o, New(tc.guard, 2*time.Second, 4, 1<<16), 2*time.Second).Token(context.Background())
			err = classifyNetwork(err)
			if err == nil || retry.IsPermanent(err) != tc.permanent || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "oauth2 token: ") {
				t.Fatalf("got %v, want permanent=%v naming %q", err, tc.permanent, tc.want)
			}
			if strings.Contains(err.Error(), "wrong-secret") || strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("the error quotes the secret: %v", err)
			}
		})
	}
}

// TestPostWithToken: the receiver refuses tok-1 (revoked early); the
// attempt drops it, fetches tok-2 and sends once more. A receiver refusing
// every token gets two requests, not a loop.
func TestPostWithToken(t *testing.T) {
	ts := newTokenServer(t, 3600)
	var got []string
	var mu sync.Mutex
	refuse := "tok-1"
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		got = append(got, r.Header.Get("Authorization")+" "+string(b))
		if refuse == "all" || r.Header.Get("Authorization") == "Bearer "+refuse {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	defer rcv.Close()
	base := New(loopGuard(t, "127.0.0.0/8"), 2*time.Second, 4, 1<<16)
	c := base.WithTokens(NewTokens(ts.oauth2(), base, 2*time.Second))
	h := http.Header{"X-A": {"1"}}
	for i := range 3 {
		r := c.Post(context.Background(), NewPost(rcv.URL), rcv.URL, h, []byte(fmt.Sprint("body", i)))
		if r.Err != nil || r.StatusCode != 200 {
			t.Fatalf("post %d: %d %v", i, r.StatusCode, r.Err)
		}
	}
	want := []string{"Bearer tok-1 body0", "Bearer tok-2 body0", "Bearer tok-2 body1", "Bearer tok-2 body2"}
	if fmt.Sprint(got) != fmt.Sprint(want) || ts.issued.Load() != 2 {
		t.Fatalf("requests %q, %d tokens; want %q, 2", got, ts.issued.Load(), want)
	}
	if h.Get("Authorization") != "" {
		t.Fatal("Post changed the caller's headers")
	}
	mu.Lock()
	refuse, got = "all", nil
	mu.Unlock()
	r := c.Post(context.Background(), nil, rcv.URL, h, []byte("x"))
	if r.StatusCode != 401 || !retry.IsPermanent(r.Err) || len(got) != 2 || ts.issued.Load() != 3 {
		t.Fatalf("refused every token: %d %v, %d requests, %d tokens; want 401 permanent, 2, 3", r.StatusCode, r.Err, len(got), ts.issued.Load())
	}
}

// mtlsReceiver requires a client certificate of ca.
func mtlsReceiver(t *testing.T, ca *testpki.CA) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TLS.PeerCertificates) == 1 && r.TLS.PeerCertificates[0].Subject.CommonName == "bridge" {
			n.Add(1)
		}
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{ca.Server().TLS(t)}, ClientCAs: ca.Pool(), ClientAuth: tls.RequireAndVerifyClientCert}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestMutualTLS(t *testing.T) {
	ca := testpki.NewCA(t, "mtls")
	srv, n := mtlsReceiver(t, ca)
	guard := loopGuard(t, "127.0.0.0/8")
	pair := ca.Client("bridge")
	for _, tc := range []struct {
		name string
		tls  *endpoint.TLS
		ok   bool
		want string
	}{
		{"with the certificate", &endpoint.TLS{CertPEM: pair.CertPEM, Key: pair.KeyPEM, CAPEM: ca.PEM}, true, ""},
		{"by server_name", &endpoint.TLS{CertPEM: pair.CertPEM, Key: pair.KeyPEM, CAPEM: ca.PEM, ServerName: "localhost"}, true, ""},
		{"without a certificate", &endpoint.TLS{CAPEM: ca.PEM}, false, "refused the client certificate"},
		{"with another CA's certificate", func() *endpoint.TLS {
			p := testpki.NewCA(t, "other").Client("bridge")
			return &endpoint.TLS{CertPEM: p.CertPEM, Key: p.KeyPEM, CAPEM: ca.PEM}
		}(), false, "refused the client certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tcfg, err := tc.tls.ClientConfig()
			if err != nil {
				t.Fatal(err)
			}
			c := NewEgress(guard, 2*time.Second, 4, 1<<16, Egress{TLS: tcfg})
			defer c.CloseIdle()
			before := n.Load()
			r := c.Post(context.Background(), nil, srv.URL, http.Header{}, []byte("{}"))
			if tc.ok {
				if r.Err != nil || n.Load() != before+1 {
					t.Fatalf("%d %v", r.StatusCode, r.Err)
				}
				return
			}
			if r.Err == nil || !retry.IsPermanent(r.Err) || !strings.Contains(r.Err.Error(), tc.want) {
				t.Fatalf("want a permanent error naming %q, got %v", tc.want, r.Err)
			}
		})
	}
}

// connectProxy is a loopback HTTP CONNECT proxy counting tunnels by target.
type connectProxy struct {
	ln      net.Listener
	mu      sync.Mutex
	targets []string
}

func newConnectProxy(t *testing.T, addr string) *connectProxy {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	p := &connectProxy{ln: ln}
	srv := &http.Server{Handler: http.HandlerFunc(p.serve)}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return p
}

func (p *connectProxy) URL() *url.URL { return &url.URL{Scheme: "http", Host: p.ln.Addr().String()} }

func (p *connectProxy) connects() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.targets...)
}

func (p *connectProxy) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect {
		http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
		return
	}
	p.mu.Lock()
	p.targets = append(p.targets, r.Host)
	p.mu.Unlock()
	up, err := net.DialTimeout("tcp", r.Host, 2*time.Second)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
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

func TestProxy(t *testing.T) {
	ca := testpki.NewCA(t, "proxy")
	plain := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer plain.Close()
	tlsRcv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	tlsRcv.TLS = &tls.Config{Certificates: []tls.Certificate{ca.Server().TLS(t)}}
	tlsRcv.StartTLS()
	defer tlsRcv.Close()
	proxy := newConnectProxy(t, "127.0.0.2:0")
	tcfg, _ := (&endpoint.TLS{CAPEM: ca.PEM}).ClientConfig()

	// The operator's proxy on a private address; targets on 127.0.0.1 only.
	c := NewEgress(loopGuard(t, "127.0.0.1/32"), 2*time.Second, 4, 1<<16, Egress{TLS: tcfg, Proxy: proxy.URL()})
	for i := range 3 {
		for _, u := range []string{plain.URL, tlsRcv.URL} {
			if r := c.Post(context.Background(), nil, u, http.Header{}, []byte("{}")); r.Err != nil {
				t.Fatalf("%d %s: %v", i, u, r.Err)
			}
		}
	}
	c.CloseIdle()
	// One tunnel per target (kept alive), through the proxy.
	if got := proxy.connects(); len(got) != 2 || got[0] != plain.Listener.Addr().String() || got[1] != tlsRcv.Listener.Addr().String() {
		t.Fatalf("CONNECTs %v", got)
	}
	// A target the guard refuses is refused before the proxy is asked.
	refused := "http://127.0.0.3:" + plain.URL[strings.LastIndex(plain.URL, ":")+1:]
	for _, u := range []string{refused, "http://0177.0.0.3:1/", "http://169.254.169.254/latest"} {
		r := c.Post(context.Background(), nil, u, http.Header{}, []byte("{}"))
		if !errors.Is(r.Err, ssrf.ErrBlocked) || !retry.IsPermanent(r.Err) {
			t.Fatalf("%s through the proxy: %v, want a permanent ssrf refusal", u, r.Err)
		}
	}
	if got := proxy.connects(); len(got) != 2 {
		t.Fatalf("the proxy was asked for a refused target: %v", got)
	}
	// An endpoint's own proxy must pass the guard itself.
	guarded := NewEgress(loopGuard(t, "127.0.0.1/32"), 2*time.Second, 4, 1<<16, Egress{Proxy: proxy.URL(), GuardProxy: true})
	if r := guarded.Post(context.Background(), nil, plain.URL, http.Header{}, nil); !errors.Is(r.Err, ssrf.ErrBlocked) {
		t.Fatalf("a private endpoint proxy: %v, want refused", r.Err)
	}
	// A proxy that refuses the tunnel: a retryable error naming it.
	deny := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusForbidden) }))
	defer deny.Close()
	du, _ := url.Parse(deny.URL)
	r := NewEgress(loopGuard(t, "127.0.0.1/32"), 2*time.Second, 4, 1<<16, Egress{Proxy: du}).Post(context.Background(), nil, plain.URL, http.Header{}, nil)
	if r.Err == nil || retry.IsPermanent(r.Err) || !strings.Contains(r.Err.Error(), "403") {
		t.Fatalf("refused tunnel: %v", r.Err)
	}
}
