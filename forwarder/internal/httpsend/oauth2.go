package httpsend

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/retry"
)

// refreshMargin is the most time before its expiry a token is replaced
// (a fifth of its lifetime when that is shorter).
const refreshMargin = time.Minute

// Tokens fetches an endpoint's OAuth2 access token with the client
// credentials grant and keeps it until shortly before it expires. One
// fetch at a time: requests that need a token meanwhile wait for it (each
// within its own context). Safe for concurrent use.
type Tokens struct {
	cfg    clientcredentials.Config
	client *http.Client
	now    func() time.Time
	sem    chan struct{}

	mu      sync.Mutex
	tok     string
	refresh time.Time // replace tok from then on; zero: when refused
	fetches atomic.Int64
}

// NewTokens returns the token source of o; token requests go through via's
// transport (its proxy and TLS settings), follow no redirect and take at
// most timeout.
func NewTokens(o endpoint.OAuth2, via *Client, timeout time.Duration) *Tokens {
	params := url.Values{}
	for k, v := range o.EndpointParams {
		params.Set(k, v)
	}
	if o.Audience != "" {
		params.Set("audience", o.Audience)
	}
	style := oauth2.AuthStyleAutoDetect
	switch o.AuthStyle {
	case endpoint.OAuth2AuthHeader:
		style = oauth2.AuthStyleInHeader
	case endpoint.OAuth2AuthParams:
		style = oauth2.AuthStyleInParams
	}
	return &Tokens{
		cfg: clientcredentials.Config{ClientID: o.ClientID, ClientSecret: o.ClientSecret, TokenURL: o.TokenURL,
			Scopes: o.Scopes, EndpointParams: params, AuthStyle: style},
		client: &http.Client{Transport: trap{via.rt}, Timeout: timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		now: time.Now,
		sem: make(chan struct{}, 1),
	}
}

// Fetches is how many token requests were made.
func (t *Tokens) Fetches() int64 { return t.fetches.Load() }

// Token returns the cached token, or fetches one within ctx.
func (t *Tokens) Token(ctx context.Context) (string, error) {
	if tok, ok := t.cached(); ok {
		return tok, nil
	}
	select {
	case t.sem <- struct{}{}:
	case <-ctx.Done():
		return "", &TokenError{err: ctx.Err()}
	}
	defer func() { <-t.sem }()
	if tok, ok := t.cached(); ok {
		return tok, nil // fetched while this one waited
	}
	t.fetches.Add(1)
	var netErr error
	tok, err := t.cfg.Token(context.WithValue(context.WithValue(ctx, oauth2.HTTPClient, t.client), trapKey{}, &netErr))
	if err != nil {
		return "", tokenError(err, netErr)
	}
	if typ := tok.Type(); !strings.EqualFold(typ, "bearer") {
		return "", &TokenError{err: fmt.Errorf("token_type %q is not Bearer", typ), permanent: true}
	}
	refresh := time.Time{}
	if !tok.Expiry.IsZero() {
		life := time.Until(tok.Expiry)
		refresh = t.now().Add(life - min(life/5, refreshMargin))
	}
	t.mu.Lock()
	t.tok, t.refresh = tok.AccessToken, refresh
	t.mu.Unlock()
	return tok.AccessToken, nil
}

func (t *Tokens) cached() (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.tok == "" || (!t.refresh.IsZero() && !t.now().Before(t.refresh)) {
		return "", false
	}
	return t.tok, true
}

// Invalidate drops tok if it is still the cached token (a receiver refused
// it); the next Token fetches a new one.
func (t *Tokens) Invalidate(tok string) {
	t.mu.Lock()
	if t.tok == tok {
		t.tok = ""
	}
	t.mu.Unlock()
}

// send makes one request; with tokens it carries Authorization: Bearer, and
// a 401 answer drops the token and the request is made once more with a new
// one (a token revoked before its expiry).
func (c *Client) send(req *http.Request) (*http.Response, error) {
	if c.tokens == nil {
		return c.rt.RoundTrip(req)
	}
	ctx := req.Context()
	tok, err := c.tokens.Token(ctx)
	if err != nil {
		return nil, err
	}
	req.Header = req.Header.Clone()
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := c.rt.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	c.tokens.Invalidate(tok)
	tok, err = c.tokens.Token(ctx)
	if err != nil {
		resp.Body.Close()
		return nil, err
	}
	_, _ = io.CopyN(io.Discard, resp.Body, 4096)
	resp.Body.Close()
	again := req.Clone(ctx)
	if req.GetBody != nil {
		if again.Body, err = req.GetBody(); err != nil {
			return nil, err
		}
	}
	again.Header.Set("Authorization", "Bearer "+tok)
	return c.rt.RoundTrip(again)
}

// TokenError is a failed token request. Its message never holds the client
// secret.
type TokenError struct {
	err       error
	permanent bool
}

func (e *TokenError) Error() string { return "oauth2 token: " + e.err.Error() }
func (e *TokenError) Unwrap() error { return e.err }

// classified is the error of the attempt: permanent when the token
// endpoint refused the client (3xx — redirects are not followed — or 4xx,
// but 408/425/429) or the SSRF guard refused its address; retryable
// otherwise.
func (e *TokenError) classified() error {
	if e.permanent {
		return retry.Permanent(e)
	}
	return e
}

// tokenError classifies what clientcredentials returned; netErr is the
// transport's error, which it keeps only as text.
func tokenError(err, netErr error) *TokenError {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		code := re.Response.StatusCode
		msg := re.ErrorCode
		if msg == "" {
			msg = strings.Join(strings.Fields(string(re.Body)), " ")
			if len(msg) > 200 {
				msg = msg[:200] + "…"
			}
		} else if re.ErrorDescription != "" {
			msg += ": " + re.ErrorDescription
		}
		e := fmt.Errorf("the token endpoint answered %s: %s", re.Response.Status, msg)
		return &TokenError{err: e, permanent: code < 500 && code != 408 && code != 425 && code != 429}
	}
	if netErr != nil {
		return &TokenError{err: netErr, permanent: retry.IsPermanent(classifyNetwork(netErr))}
	}
	return &TokenError{err: err}
}

// trap keeps the transport's error in the request context's *error, which
// clientcredentials would otherwise turn into text (losing ssrf.ErrBlocked).
type trap struct{ rt http.RoundTripper }

type trapKey struct{}

func (t trap) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.rt.RoundTrip(req)
	if p, ok := req.Context().Value(trapKey{}).(*error); ok && err != nil {
		*p = err
	}
	return resp, err
}
