// Package webhook is the exporter of signed webhooks (Standard Webhooks):
// one POST per event, the endpoint's transform, its template or the
// default body, the same webhook-id on every attempt, a fresh timestamp
// and a signature over the body sent.
package webhook

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/popinbridge/bridge/forwarder/exporter"
	"github.com/popinbridge/bridge/forwarder/internal/httpsend"
	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/endpoint/rules"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/payload"
	"github.com/popinbridge/bridge/internal/retry"
	"github.com/popinbridge/bridge/internal/signing"
)

// Exporter sends an endpoint's events as signed webhooks. Immutable once
// built; safe for concurrent use.
type Exporter struct {
	client *httpsend.Client
	url    string
	auth   string
	apiKey string // the api_key header's name, for redaction
	// signers sign with the current secret, then each rotated-out secret
	// until its expiry (expires[i] for signers[i]; zero never expires),
	// keeping their HMAC state.
	signers []*signing.Signer
	expires []time.Time
	// static are the request headers that are the same on every attempt
	// (canonical keys) and staticLog the same for the delivery log.
	static    http.Header
	staticLog map[string]string
	hdrs      sync.Pool     // *reqHeaders
	post      *http.Request // the request template (httpsend.NewPost)
	tmpl      *payload.Template
	transform *rules.Transform
	// ts is the last webhook-timestamp formatted (one string per second,
	// not per attempt).
	ts atomic.Pointer[unixText]
}

// unixText is a Unix time in seconds and its decimal form.
type unixText struct {
	sec int64
	s   string
}

// timestamp is sec in decimal (webhook-timestamp).
func (x *Exporter) timestamp(sec int64) string {
	if t := x.ts.Load(); t != nil && t.sec == sec {
		return t.s
	}
	t := &unixText{sec: sec, s: strconv.FormatInt(sec, 10)}
	x.ts.Store(t)
	return t.s
}

var _ exporter.Exporter = (*Exporter)(nil)

// New compiles an endpoint that passed endpoint.Validate.
func New(ep endpoint.Endpoint, client *httpsend.Client) (*Exporter, error) {
	x := &Exporter{client: client, url: ep.URL, auth: ep.Auth, apiKey: ep.APIKeyHeader, post: httpsend.NewPost(ep.URL)}
	if ep.Auth == endpoint.AuthSignature {
		if err := x.addSigner(ep.Secret, time.Time{}); err != nil {
			return nil, fmt.Errorf("secret: %w", err)
		}
		for i, p := range ep.PreviousSecrets {
			if err := x.addSigner(p.Secret, p.Expires); err != nil {
				return nil, fmt.Errorf("previous_secrets[%d]: %w", i, err)
			}
		}
	}
	x.static, x.staticLog = staticHeaders(&ep)
	if ep.Template != "" {
		t, err := payload.Parse(ep.Template)
		if err != nil {
			return nil, fmt.Errorf("template: %w", err)
		}
		x.tmpl = t
	}
	if ep.Transform != "" {
		t, err := rules.CompileTransform(ep.Transform)
		if err != nil {
			return nil, fmt.Errorf("transform: %w", err)
		}
		x.transform = t
	}
	return x, nil
}

func (x *Exporter) addSigner(secret string, expires time.Time) error {
	k, err := signing.ParseSecret(secret)
	if err != nil {
		return err
	}
	x.signers = append(x.signers, signing.NewSigner(k))
	x.expires = append(x.expires, expires)
	return nil
}

// Wants implements exporter.Exporter: every event the endpoint subscribes to.
func (x *Exporter) Wants(string) bool { return true }

// MaxBatch implements exporter.Exporter: one event per request.
func (x *Exporter) MaxBatch() int { return 1 }

// Check implements exporter.Exporter: a webhook takes any event.
func (x *Exporter) Check(exporter.Item, time.Time) error { return nil }

// Export implements exporter.Exporter: one POST of items[0]. The body is
// the same on every attempt; webhook-id stays, webhook-timestamp and the
// signatures are made now.
func (x *Exporter) Export(ctx context.Context, items []exporter.Item) exporter.Result {
	it := items[0]
	body, err := x.Body(it.Event)
	if err != nil {
		return exporter.Result{Err: retry.Permanent(err), Request: exporter.Request{URL: x.url, RawPII: true}}
	}
	now := time.Now()
	ts := x.timestamp(now.Unix())
	sig := ""
	if x.auth == endpoint.AuthSignature {
		var buf [3*64 + 8]byte
		sig = string(signing.AppendSignatures(buf[:0], it.WebhookID, now, body, x.signersAt(now)...))
	}
	hs := x.headers()
	hs.set(it.WebhookID, ts, sig)
	r := x.client.Post(ctx, x.post, x.url, hs.h, body)
	if r.StatusCode != 0 {
		// An answer was read and its body closed: the transport is done
		// with the request (http.RoundTripper), so its headers are reused.
		hs.set("", "", "")
		x.hdrs.Put(hs)
	}
	r.Request.Headers = x.logHeaders(it.WebhookID, ts, sig)
	r.Request.RawPII = true
	return r
}

// Body renders the body for an event: the endpoint's transform, its
// template or the default body. A transform that fails on the event is an
// error naming it (the attempt fails permanently).
func (x *Exporter) Body(ev *event.Event) ([]byte, error) {
	if x.transform != nil {
		b, err := x.transform.Body(ev)
		if err != nil {
			return nil, fmt.Errorf("transform: %w", err)
		}
		return b, nil
	}
	if x.tmpl != nil {
		return x.tmpl.Render(ev)
	}
	return payload.DefaultBody(ev)
}

// signersAt returns the signers in force at now: the current secret and
// every rotated-out one not yet expired (endpoint.Endpoint.SigningSecrets),
// each giving its own "v1," signature.
func (x *Exporter) signersAt(now time.Time) []*signing.Signer {
	n := 0
	for _, exp := range x.expires {
		if exp.IsZero() || now.Before(exp) {
			n++
		}
	}
	if n == len(x.signers) {
		return x.signers
	}
	out := make([]*signing.Signer, 0, n)
	for i, s := range x.signers {
		if exp := x.expires[i]; exp.IsZero() || now.Before(exp) {
			out = append(out, s)
		}
	}
	return out
}
