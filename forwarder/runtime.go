package forwarder

import (
	"fmt"
	"net/http"
	"time"

	"github.com/popinbridge/bridge/forwarder/internal/capi"
	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/payload"
	"github.com/popinbridge/bridge/internal/retry"
	"github.com/popinbridge/bridge/internal/signing"
)

// endpointRuntime is an endpoint ready to deliver: its declaration and
// what was compiled from it. Immutable once built.
type endpointRuntime struct {
	cfg endpoint.Endpoint
	// signers sign with the current secret, then each rotated-out secret
	// until its expiry (expires[i] for signers[i]; zero never expires),
	// keeping their HMAC state.
	signers []*signing.Signer
	expires []time.Time
	// static are a webhook's request headers that are the same on every
	// attempt (canonical keys) and staticLog the same for the delivery
	// log (lower-case keys, credentials redacted).
	static    http.Header
	staticLog map[string]string
	// post is the webhook's request template (see newPostTemplate).
	post     *http.Request
	tmpl     *payload.Template
	schedule retry.Schedule
	conc     int
	eventMap map[string]string
}

// buildRuntime compiles an endpoint that passed endpoint.Validate.
func buildRuntime(c endpoint.Endpoint, f *Forwarder) (*endpointRuntime, error) {
	c = c.Clone()
	c.ApplyDefaults()
	rt := &endpointRuntime{cfg: c, conc: f.cfg.Concurrency}
	if c.Concurrency > 0 {
		rt.conc = c.Concurrency
	}
	sched := f.p.schedule
	if len(c.RetrySchedule) > 0 {
		var err error
		if sched, err = endpoint.ParseSchedule(c.RetrySchedule); err != nil {
			return nil, fmt.Errorf("retry_schedule: %w", err)
		}
	}
	rt.schedule = retry.Schedule{Delays: sched, Jitter: f.cfg.RetryJitter, MaxRetryAfter: f.p.maxRetryAfter}
	switch c.Type {
	case endpoint.TypeWebhook:
		if c.Auth == endpoint.AuthSignature {
			if err := rt.addSigner(c.Secret, time.Time{}); err != nil {
				return nil, fmt.Errorf("secret: %w", err)
			}
			for i, p := range c.PreviousSecrets {
				if err := rt.addSigner(p.Secret, p.Expires); err != nil {
					return nil, fmt.Errorf("previous_secrets[%d]: %w", i, err)
				}
			}
		}
		rt.static, rt.staticLog = staticHeaders(&c)
		rt.post = newPostTemplate(c.URL)
		if c.Template != "" {
			t, err := payload.Parse(c.Template)
			if err != nil {
				return nil, fmt.Errorf("template: %w", err)
			}
			rt.tmpl = t
		}
	case endpoint.TypeFacebookCAPI:
		rt.eventMap = capi.DefaultEventMap()
		for k, v := range c.EventMap {
			rt.eventMap[k] = v
		}
	}
	return rt, nil
}

func (rt *endpointRuntime) addSigner(secret string, expires time.Time) error {
	k, err := signing.ParseSecret(secret)
	if err != nil {
		return err
	}
	rt.signers = append(rt.signers, signing.NewSigner(k))
	rt.expires = append(rt.expires, expires)
	return nil
}

// signersAt returns the signers in force at now: the current secret and
// every rotated-out one not yet expired (Endpoint.SigningSecrets), each
// giving its own "v1," signature.
func (rt *endpointRuntime) signersAt(now time.Time) []*signing.Signer {
	n := 0
	for _, exp := range rt.expires {
		if exp.IsZero() || now.Before(exp) {
			n++
		}
	}
	if n == len(rt.signers) {
		return rt.signers
	}
	out := make([]*signing.Signer, 0, n)
	for i, s := range rt.signers {
		if exp := rt.expires[i]; exp.IsZero() || now.Before(exp) {
			out = append(out, s)
		}
	}
	return out
}

// wants reports whether an event of this name is delivered to the endpoint.
func (rt *endpointRuntime) wants(siteID, name string) bool {
	if rt.cfg.Site != siteID || !rt.cfg.Matches(name) {
		return false
	}
	if rt.cfg.Type == endpoint.TypeFacebookCAPI {
		return rt.eventMap[name] != ""
	}
	return true
}

func (rt *endpointRuntime) active() bool { return rt.cfg.Active() }
