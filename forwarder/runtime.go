package forwarder

import (
	"fmt"
	"net/http"
	"time"

	"github.com/popinbridge/bridge/forwarder/internal/capi"
	"github.com/popinbridge/bridge/internal/payload"
	"github.com/popinbridge/bridge/internal/retry"
	"github.com/popinbridge/bridge/internal/signing"
)

// endpointState is what the forwarder keeps about an endpoint in its KV
// bucket, over the configuration: a status set at run time (410, admin) and
// a rotated secret.
type endpointState struct {
	Status          string    `json:"status,omitempty"`
	Reason          string    `json:"reason,omitempty"`
	StatusAt        time.Time `json:"status_at,omitempty"`
	Secret          string    `json:"secret,omitempty"`
	PreviousSecret  string    `json:"previous_secret,omitempty"`
	PreviousExpires time.Time `json:"previous_expires_at,omitempty"`
	// Sealed says Secret and PreviousSecret are sealed by Settings.SecretBox.
	Sealed bool `json:"sealed,omitempty"`
}

// endpointRuntime is an endpoint ready to deliver: its effective
// configuration (config plus state) and what was compiled from it.
// Immutable once built.
type endpointRuntime struct {
	cfg     EndpointConfig
	reason  string // why it is disabled, when it is
	keys    []signing.Key
	prevKey signing.Key
	prevExp time.Time
	// signers sign with keys[0] (and then prevKey, until prevExp), keeping
	// their HMAC state; both holds the pair for the rotation overlap.
	signers []*signing.Signer
	both    []*signing.Signer
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

func buildRuntime(c EndpointConfig, st endpointState, f *Forwarder) (*endpointRuntime, error) {
	c.ApplyDefaults()
	if st.Status != "" {
		c.Status = st.Status
	}
	if st.Secret != "" {
		c.Secret, c.PreviousSecret, c.PreviousSecretExpiresAt = st.Secret, st.PreviousSecret, st.PreviousExpires
	}
	rt := &endpointRuntime{cfg: c, reason: st.Reason, conc: f.cfg.Concurrency}
	if c.Concurrency > 0 {
		rt.conc = c.Concurrency
	}
	sched := f.p.schedule
	if len(c.RetrySchedule) > 0 {
		sched = nil
		for _, s := range c.RetrySchedule {
			d, err := time.ParseDuration(s)
			if err != nil {
				return nil, fmt.Errorf("endpoint %s: retry_schedule: %w", c.ID, err)
			}
			sched = append(sched, d)
		}
	}
	rt.schedule = retry.Schedule{Delays: sched, Jitter: f.cfg.RetryJitter, MaxRetryAfter: f.p.maxRetryAfter}
	switch c.Type {
	case TypeWebhook:
		if c.Auth == AuthSignature {
			k, err := signing.ParseSecret(c.Secret)
			if err != nil {
				return nil, fmt.Errorf("endpoint %s: secret: %w", c.ID, err)
			}
			rt.keys = []signing.Key{k}
			if c.PreviousSecret != "" {
				pk, err := signing.ParseSecret(c.PreviousSecret)
				if err != nil {
					return nil, fmt.Errorf("endpoint %s: previous_secret: %w", c.ID, err)
				}
				rt.prevKey, rt.prevExp = pk, c.PreviousSecretExpiresAt
			}
			rt.signers = []*signing.Signer{signing.NewSigner(k)}
			if len(rt.prevKey) > 0 {
				rt.both = []*signing.Signer{rt.signers[0], signing.NewSigner(rt.prevKey)}
			}
		}
		rt.static, rt.staticLog = staticHeaders(&c)
		rt.post = newPostTemplate(c.URL)
		if c.Template != "" {
			t, err := payload.Parse(c.Template)
			if err != nil {
				return nil, fmt.Errorf("endpoint %s: %w", c.ID, err)
			}
			rt.tmpl = t
		}
	case TypeFacebookCAPI:
		rt.eventMap = capi.DefaultEventMap()
		for k, v := range c.EventMap {
			rt.eventMap[k] = v
		}
	}
	return rt, nil
}

// signingKeys returns the keys to sign with at now: the current one, then
// the previous one until it expires (a zero expiry never expires).
func (rt *endpointRuntime) signingKeys(now time.Time) []signing.Key {
	if len(rt.prevKey) == 0 || (!rt.prevExp.IsZero() && !now.Before(rt.prevExp)) {
		return rt.keys
	}
	return []signing.Key{rt.keys[0], rt.prevKey}
}

// signersAt returns the signers to sign with at now, like signingKeys.
func (rt *endpointRuntime) signersAt(now time.Time) []*signing.Signer {
	if len(rt.both) == 0 || (!rt.prevExp.IsZero() && !now.Before(rt.prevExp)) {
		return rt.signers
	}
	return rt.both
}

// wants reports whether an event of this name is delivered to the endpoint.
func (rt *endpointRuntime) wants(siteID, name string) bool {
	if rt.cfg.Site != siteID || !rt.cfg.Matches(name) {
		return false
	}
	if rt.cfg.Type == TypeFacebookCAPI {
		return rt.eventMap[name] != ""
	}
	return true
}

func (rt *endpointRuntime) active() bool { return rt.cfg.Status == StatusActive }
