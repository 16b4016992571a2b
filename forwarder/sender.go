package forwarder

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/popinbridge/bridge/internal/retry"
	"github.com/popinbridge/bridge/internal/ssrf"
)

// result is the outcome of one HTTP attempt.
type result struct {
	status     int
	err        error // nil: success; retry.IsPermanent: do not retry
	latency    time.Duration
	retryAfter time.Duration
	disable    bool // 410 Gone: disable the endpoint
	reqURL     string
	reqHeaders map[string]string
	reqBody    []byte
	respBody   []byte
}

// newHTTPClient returns the client of every delivery: SSRF guard in the
// dialer, no proxy (the guard must see the target's address), no redirects,
// TLS 1.2 or later.
func newHTTPClient(guard *ssrf.Guard, timeout time.Duration, conns int) *http.Client {
	d := guard.Dialer(net.Dialer{Timeout: min(timeout, 10*time.Second), KeepAlive: 30 * time.Second})
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   conns,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   min(timeout, 10*time.Second),
		ResponseHeaderTimeout: timeout,
		ExpectContinueTimeout: time.Second,
	}
	tr.TLSClientConfig = tlsConfig()
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// do sends one POST and classifies the outcome once: 2xx ok; 408/425/429/5xx
// and network errors retryable; SSRF refusals and other statuses
// permanent; 410 also disables the endpoint.
func (f *Forwarder) do(ctx context.Context, url string, h http.Header, body []byte) result {
	return f.doReq(ctx, nil, url, h, body)
}

// newPostTemplate returns a POST request to url without body or context,
// for doReq to copy (so the URL is parsed once per endpoint, not per
// attempt); nil if url does not parse (doReq then reports the error).
func newPostTemplate(url string) *http.Request {
	req, err := http.NewRequest(http.MethodPost, url, nil)
	if err != nil {
		return nil
	}
	return req
}

// doReq is do; tmpl, when not nil, is newPostTemplate(url).
func (f *Forwarder) doReq(ctx context.Context, tmpl *http.Request, url string, h http.Header, body []byte) result {
	r := result{reqURL: url, reqBody: body}
	ctx, cancel := context.WithTimeout(ctx, f.p.timeout)
	defer cancel()
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
			r.err = retry.Permanent(fmt.Errorf("request: %w", err))
			return r
		}
	}
	req.Header = h
	start := time.Now()
	// The transport itself, not f.client.Do: no redirects are followed
	// either way (the client's CheckRedirect keeps the 3xx), and the
	// client would copy the headers for nothing.
	resp, err := f.client.Transport.RoundTrip(req)
	if err != nil {
		r.latency = time.Since(start)
		if errors.Is(err, ssrf.ErrBlocked) {
			var be *ssrf.BlockedError
			if errors.As(err, &be) {
				r.err = retry.Permanent(be)
			} else {
				r.err = retry.Permanent(fmt.Errorf("%w: %v", ssrf.ErrBlocked, err))
			}
			return r
		}
		r.err = fmt.Errorf("network: %w", err)
		return r
	}
	defer resp.Body.Close()
	r.respBody = readLimited(resp.Body, resp.ContentLength, f.cfg.MaxResponseBytes)
	r.latency = time.Since(start)
	r.status = resp.StatusCode
	r.err = retry.FromStatus(resp.StatusCode, resp.Header, time.Now())
	var se *retry.StatusError
	if errors.As(r.err, &se) {
		r.retryAfter = se.RetryAfter
	}
	r.disable = resp.StatusCode == http.StatusGone
	return r
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

// redactHeaders copies h for the delivery log without credentials.
func redactHeaders(h http.Header, secretHeaders ...string) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		lk := strings.ToLower(k)
		out[lk] = logValue(lk, strings.Join(v, ", "), secretHeaders...)
	}
	return out
}

// logValue is the logged value of header lk (lower case): "REDACTED" for
// credentials (authorization, x-api-key, cookie and secretHeaders).
func logValue(lk, val string, secretHeaders ...string) string {
	if lk == "authorization" || lk == "x-api-key" || lk == "cookie" {
		return "REDACTED"
	}
	for _, s := range secretHeaders {
		if strings.EqualFold(s, lk) {
			return "REDACTED"
		}
	}
	return val
}
