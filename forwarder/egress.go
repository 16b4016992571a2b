package forwarder

import (
	"fmt"
	"net/url"
	"time"

	"github.com/popinbridge/bridge/forwarder/internal/httpsend"
	"github.com/popinbridge/bridge/internal/endpoint"
)

// Endpoint auth and egress: an endpoint with oauth2, tls or a proxy_url of
// its own gets its own HTTP client (transport, connections, token cache),
// built with its runtime — once per version of the endpoint, not per
// request — and closed when a new version or its removal replaces the
// runtime. Every other endpoint shares f.client, which goes through the
// default proxy (forwarder.proxy_url) when there is one.

// parseProxy checks forwarder.proxy_url: http://[user:password@]host[:port]
// and nothing else; nil when empty.
func parseProxy(raw string, errs *[]error) *url.URL {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "":
		*errs = append(*errs, fmt.Errorf("proxy_url: must be like http://proxy.internal:3128"))
	case u.Scheme != "http":
		*errs = append(*errs, fmt.Errorf("proxy_url: only http:// proxies (HTTP CONNECT) are supported"))
	case (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "":
		*errs = append(*errs, fmt.Errorf("proxy_url: must be scheme, host and port only"))
	default:
		return u
	}
	return nil
}

// clientFor returns the client of an endpoint and the clients made for it
// alone (to close with its runtime): f.client when it has no oauth2, tls
// or proxy_url.
func (f *Forwarder) clientFor(ep *endpoint.Endpoint, conns int) (*httpsend.Client, []*httpsend.Client, error) {
	if ep.OAuth2 == nil && ep.TLS == nil && ep.ProxyURL == "" {
		return f.client, nil, nil
	}
	eg := httpsend.Egress{Proxy: f.p.proxy}
	if ep.ProxyURL != "" {
		u, err := url.Parse(ep.ProxyURL)
		if err != nil {
			return nil, nil, fmt.Errorf("proxy_url: %w", err)
		}
		eg.Proxy, eg.GuardProxy = u, true
	}
	tc, err := ep.TLS.ClientConfig()
	if err != nil {
		return nil, nil, err
	}
	eg.TLS = tc
	newClient := func(eg httpsend.Egress) *httpsend.Client {
		return httpsend.NewEgress(f.guard, f.p.timeout, max(conns, 2), f.cfg.MaxResponseBytes, eg)
	}
	c, owned := f.client, []*httpsend.Client(nil)
	if ep.TLS != nil || ep.ProxyURL != "" {
		c = newClient(eg)
		owned = append(owned, c)
	}
	if ep.OAuth2 != nil {
		// Token requests go the same way, but server_name is the
		// receiver's, not the token endpoint's.
		via := c
		if tc.ServerName != "" {
			eg.TLS = tc.Clone()
			eg.TLS.ServerName = ""
			via = newClient(eg)
			owned = append(owned, via)
		}
		c = c.WithTokens(httpsend.NewTokens(*ep.OAuth2, via, f.p.timeout))
	}
	return c, owned, nil
}

// releaseReplaced closes the clients of every runtime of old that next no
// longer holds (changed or removed endpoints): idle connections now, the
// rest after one attempt timeout, when the attempts that still used the
// runtime have ended.
func (f *Forwarder) releaseReplaced(old, next *routeTable) {
	for id, prev := range old.byID {
		if next.byID[id] == prev || len(prev.owned) == 0 {
			continue
		}
		owned := prev.owned
		closeAll := func() {
			for _, c := range owned {
				c.CloseIdle()
			}
		}
		closeAll()
		time.AfterFunc(f.p.timeout+time.Second, closeAll)
	}
}

// closeClients closes the idle connections of every client (Shutdown).
func (f *Forwarder) closeClients() {
	f.client.CloseIdle()
	for _, rt := range f.routes.Load().byID {
		for _, c := range rt.owned {
			c.CloseIdle()
		}
	}
}
