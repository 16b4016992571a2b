package httpsend

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/popinbridge/bridge/internal/ssrf"
)

// Egress is how a client reaches its destinations: the TLS settings and a
// forward proxy. The zero Egress dials targets directly with the defaults.
type Egress struct {
	// TLS replaces the default TLS settings (client certificate, roots,
	// server name); nil: TLS 1.2 or later, system roots.
	TLS *tls.Config
	// Proxy is an http:// forward proxy: every connection, to http and
	// https targets alike, is a CONNECT tunnel through it. Its user info,
	// if any, is sent as Proxy-Authorization (Basic).
	Proxy *url.URL
	// GuardProxy makes the proxy's own address pass the SSRF guard (a
	// proxy named by an endpoint). The operator's default proxy
	// (forwarder.proxy_url) may be private and is not checked.
	GuardProxy bool
}

// NewEgress is New with eg's TLS settings and proxy. With a proxy the
// guard checks every address of the target's host, resolved here, before
// the proxy is asked to connect to it; the proxy resolves the name again.
func NewEgress(guard *ssrf.Guard, timeout time.Duration, conns int, maxResponse int64, eg Egress) *Client {
	base := net.Dialer{Timeout: min(timeout, 10*time.Second), KeepAlive: 30 * time.Second}
	dial := guard.Dialer(base).DialContext
	if eg.Proxy != nil {
		pd := &proxyDialer{guard: guard, addr: proxyAddr(eg.Proxy), dial: base.DialContext}
		if eg.GuardProxy {
			pd.dial = dial
		}
		if u := eg.Proxy.User; u != nil {
			pw, _ := u.Password()
			pd.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(u.Username()+":"+pw))
		}
		dial = pd.DialContext
	}
	tc := eg.TLS
	if tc == nil {
		tc = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	tr := newTransport(dial, timeout, conns, tc)
	return &Client{rt: tr, tr: tr, maxResponse: maxResponse}
}

// CloseIdle closes the idle connections of the client's own transport
// (connections in use close when their attempt ends and they fall idle:
// call it again then).
func (c *Client) CloseIdle() {
	if c.tr != nil {
		c.tr.CloseIdleConnections()
	}
}

// WithTokens returns a client over the same transport that sends every
// request with an OAuth2 access token from t (oauth2.go).
func (c *Client) WithTokens(t *Tokens) *Client {
	return &Client{rt: c.rt, maxResponse: c.maxResponse, tokens: t}
}

// proxyAddr is host:port of a proxy URL (port 80 when absent).
func proxyAddr(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// proxyDialer opens a CONNECT tunnel through a forward proxy.
type proxyDialer struct {
	guard *ssrf.Guard
	addr  string // the proxy's host:port
	dial  func(context.Context, string, string) (net.Conn, error)
	auth  string // Proxy-Authorization, "" for none
}

// DialContext checks the target with the guard, connects to the proxy and
// asks it for a tunnel to addr; the tunnel is returned as the connection
// (the transport runs TLS over it for https targets).
func (p *proxyDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if err := p.guard.CheckHost(ctx, host); err != nil {
		return nil, err
	}
	conn, err := p.dial(ctx, network, p.addr)
	if err != nil {
		return nil, fmt.Errorf("proxy %s: %w", p.addr, err)
	}
	// The handshake ends with ctx: a cancel makes every read and write fail.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	tunnel, err := p.connect(conn, addr)
	if !stop() && err == nil {
		err = ctx.Err()
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("proxy %s: CONNECT %s: %w", p.addr, addr, err)
	}
	return tunnel, nil
}

func (p *proxyDialer) connect(conn net.Conn, addr string) (net.Conn, error) {
	req := &http.Request{Method: http.MethodConnect, URL: &url.URL{Opaque: addr}, Host: addr, Header: http.Header{}}
	req.Header.Set("User-Agent", UserAgent)
	if p.auth != "" {
		req.Header.Set("Proxy-Authorization", p.auth)
	}
	if err := req.Write(conn); err != nil {
		return nil, err
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("the proxy answered %s", resp.Status)
	}
	if br.Buffered() > 0 {
		// Bytes of the target that came with the proxy's answer.
		return &bufferedConn{Conn: conn, r: br}, nil
	}
	return conn, nil
}

// bufferedConn reads what its reader holds before the connection.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(b []byte) (int, error) { return c.r.Read(b) }
