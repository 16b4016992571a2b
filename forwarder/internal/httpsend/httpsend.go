// Package httpsend is the HTTP side every exporter shares: one client with
// the SSRF guard in its dialer, no proxy, no redirects, TLS 1.2 or later;
// a POST that classifies its outcome once; and the redaction of request
// headers for the delivery log.
package httpsend

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/popinbridge/bridge/forwarder/exporter"
	"github.com/popinbridge/bridge/internal/retry"
	"github.com/popinbridge/bridge/internal/ssrf"
)

// UserAgent identifies the forwarder to receivers.
const UserAgent = "bridge-forwarder/1"

// Client sends deliveries. Safe for concurrent use.
type Client struct {
	rt          http.RoundTripper
	tr          *http.Transport // rt when the client made it (CloseIdle)
	maxResponse int64
	tokens      *Tokens // OAuth2 access tokens (oauth2.go); nil: none
}

// New returns the client of every delivery. timeout bounds connecting and
// waiting for response headers (the caller's context bounds the whole
// attempt); conns is the idle connections kept per host; at most
// maxResponse bytes of an answer are read.
func New(guard *ssrf.Guard, timeout time.Duration, conns int, maxResponse int64) *Client {
	return NewEgress(guard, timeout, conns, maxResponse, Egress{})
}

// newTransport is the transport of every client: dial is its only way out
// (the guard's dialer, or the CONNECT dialer of a proxy: egress.go).
func newTransport(dial func(context.Context, string, string) (net.Conn, error), timeout time.Duration, conns int, tc *tls.Config) *http.Transport {
	return &http.Transport{
		Proxy:                 nil, // proxies are dialled by dial, so the guard sees every target
		DialContext:           dial,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   conns,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   min(timeout, 10*time.Second),
		ResponseHeaderTimeout: timeout,
		ExpectContinueTimeout: time.Second,
		TLSClientConfig:       tc,
	}
}

// NewPost returns a POST request to url without body or context, for Post
// to copy (so the URL is parsed once per endpoint, not per attempt); nil if
// url does not parse (Post then reports the error).
func NewPost(url string) *http.Request {
	req, err := http.NewRequest(http.MethodPost, url, nil)
	if err != nil {
		return nil
	}
	return req
}

// Post sends one POST within ctx and classifies the outcome once: 2xx
// delivered; 408, 425, 429, 5xx and network errors retryable; SSRF refusals,
// a URL that does not parse and every other status (3xx included:
// redirects are not followed) permanent; 410 also sets Gone. tmpl, when
// not nil, is NewPost(url). The result's Request has URL and Body set.
func (c *Client) Post(ctx context.Context, tmpl *http.Request, url string, h http.Header, body []byte) exporter.Result {
	r := exporter.Result{Request: exporter.Request{URL: url, Body: body}}
	var req *http.Request
	if tmpl != nil {
		// What http.NewRequestWithContext does for a bytes.Reader body,
		// over the parsed template (its URL is shared, never modified).
		req = tmpl.WithContext(ctx)
		req.ContentLength = int64(len(body))
		if len(body) == 0 {
			req.Body, req.GetBody = http.NoBody, func() (io.ReadCloser, error) { return http.NoBody, nil }
		} else {
			req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
			req.Body, _ = req.GetBody()
		}
	} else {
		var err error
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			r.Err = retry.Permanent(fmt.Errorf("request: %w", err))
			return r
		}
	}
	req.Header = h
	start := time.Now()
	// The transport itself: no redirect is followed and no header copied.
	resp, err := c.send(req)
	if err != nil {
		r.Latency = time.Since(start)
		r.Err = classifyNetwork(err)
		return r
	}
	defer resp.Body.Close()
	r.ResponseBody = readLimited(resp.Body, resp.ContentLength, c.maxResponse)
	r.Latency = time.Since(start)
	r.StatusCode, r.ResponseHeader = resp.StatusCode, resp.Header
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		r.Err = retry.FromStatus(resp.StatusCode, resp.Header, time.Now())
		var se *retry.StatusError
		if errors.As(r.Err, &se) {
			r.RetryAfter = se.RetryAfter
		}
	}
	r.Gone = resp.StatusCode == http.StatusGone
	return r
}

// classifyNetwork: an SSRF refusal is permanent, anything else retryable;
// a token error (oauth2.go) is classified already.
func classifyNetwork(err error) error {
	var te *TokenError
	if errors.As(err, &te) {
		return te.classified()
	}
	if p := certRefused(err); p != nil {
		return p
	}
	if errors.Is(err, ssrf.ErrBlocked) {
		var be *ssrf.BlockedError
		if errors.As(err, &be) {
			return retry.Permanent(be)
		}
		return retry.Permanent(fmt.Errorf("%w: %v", ssrf.ErrBlocked, err))
	}
	return fmt.Errorf("network: %w", err)
}

// readLimited reads at most limit bytes of a response body (length is its
// Content-Length, -1 when unknown): nil for an empty body. A body of known
// length is read to its end in one buffer of the right size (one spare byte
// to see EOF, so the connection is reused). Read errors end the body.
func readLimited(body io.Reader, length, limit int64) []byte {
	if length == 0 || limit <= 0 {
		return nil
	}
	size := int64(512)
	if length > 0 {
		size = min(length, limit) + 1
	}
	b := make([]byte, 0, size)
	for int64(len(b)) < limit {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // grow
		}
		n, err := body.Read(b[len(b):min(int64(cap(b)), limit)])
		b = b[:len(b)+n]
		if err != nil {
			break
		}
	}
	if len(b) == 0 {
		return nil
	}
	return b
}

// WithTransport returns a Client over rt (tests: a transport that records
// requests instead of sending them).
func WithTransport(rt http.RoundTripper, maxResponse int64) *Client {
	return &Client{rt: rt, maxResponse: maxResponse}
}
