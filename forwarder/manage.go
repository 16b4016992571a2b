package forwarder

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/popinbridge/bridge/internal/payload"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/signing"
)

// Attempt is the outcome of one delivery attempt, as the management API
// shows it.
type Attempt struct {
	DeliveryID    string    `json:"delivery_id,omitempty"`
	EndpointID    string    `json:"endpoint_id"`
	EventID       string    `json:"event_id,omitempty"`
	EventName     string    `json:"event_name,omitempty"`
	WebhookID     string    `json:"webhook_id,omitempty"`
	Attempt       int       `json:"attempt"`
	OK            bool      `json:"ok"`
	StatusCode    int       `json:"status_code"`
	LatencyMS     int64     `json:"latency_ms"`
	Error         string    `json:"error,omitempty"`
	AttemptedAt   time.Time `json:"attempted_at"`
	NextAttemptAt time.Time `json:"next_attempt_at,omitzero"`
	State         string    `json:"state,omitempty"`
	Test          bool      `json:"test"`
	ResponseBody  string    `json:"response_body,omitempty"`
}

func attemptOf(r DeliveryRecord) Attempt {
	return Attempt{DeliveryID: r.DeliveryID, EndpointID: r.EndpointID, EventID: r.EventID, EventName: r.EventName,
		WebhookID: r.WebhookID, Attempt: r.Attempt, OK: r.OK, StatusCode: r.StatusCode, LatencyMS: r.LatencyMS,
		Error: r.Error, AttemptedAt: r.AttemptedAt, NextAttemptAt: r.NextAttemptAt, State: r.State, Test: r.Test,
		ResponseBody: r.ResponseBody}
}

// EndpointInfo is an endpoint as listed by the management surface, without
// credentials.
type EndpointInfo struct {
	ID             string    `json:"id"`
	Site           string    `json:"site"`
	Type           string    `json:"type"`
	URL            string    `json:"url,omitempty"`
	Events         []string  `json:"events"`
	Auth           string    `json:"auth,omitempty"`
	Status         string    `json:"status"`
	StatusReason   string    `json:"status_reason,omitempty"`
	PixelID        string    `json:"pixel_id,omitempty"`
	APIVersion     string    `json:"api_version,omitempty"`
	GraphURL       string    `json:"graph_url,omitempty"`
	HasTemplate    bool      `json:"has_template"`
	PreviousExpiry time.Time `json:"previous_secret_expires_at,omitzero"`
}

// Endpoints lists every endpoint with its effective status, sorted by id.
func (f *Forwarder) Endpoints() []EndpointInfo {
	routes := f.routes.Load()
	out := make([]EndpointInfo, 0, len(routes.byID))
	for _, rt := range routes.byID {
		c := rt.cfg
		info := EndpointInfo{ID: c.ID, Site: c.Site, Type: c.Type, URL: c.URL, Events: c.Events, Auth: c.Auth,
			Status: c.Status, StatusReason: rt.reason, HasTemplate: c.Template != ""}
		if c.Type == TypeFacebookCAPI {
			info.URL, info.PixelID, info.APIVersion, info.GraphURL = "", c.PixelID, c.APIVersion, c.GraphURL
		}
		if len(rt.prevKey) > 0 {
			info.PreviousExpiry = rt.prevExp
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (f *Forwarder) endpoint(id string) (*endpointRuntime, error) {
	rt, ok := f.routes.Load().byID[id]
	if !ok {
		return nil, fmt.Errorf("endpoint %q: %w", id, ErrNotFound)
	}
	return rt, nil
}

// Test sends a sample event (ev, or payload.Sample() for the endpoint's site
// when ev is nil) to an endpoint now, whatever its status, and returns the
// attempt. It is recorded in the delivery log with test=1 and never retried.
// Failing to reach the endpoint is an Attempt with OK false, not an error.
func (f *Forwarder) Test(ctx context.Context, endpointID string, ev *event.Event) (Attempt, error) {
	rt, err := f.endpoint(endpointID)
	if err != nil {
		return Attempt{}, err
	}
	if ev == nil {
		ev = payload.Sample()
		ev.SiteID = rt.cfg.Site
		ev.ID = "test_" + randomHex(12)
		ev.ClientTime, ev.ReceivedAt = time.Now().UTC(), time.Now().UTC()
		if rt.cfg.Type == TypeFacebookCAPI {
			ev.Name = firstMapped(rt.eventMap)
		}
	}
	m := &message{DeliveryID: DeliveryID(endpointID, ev.ID), WebhookID: WebhookID(ev.ID), EndpointID: endpointID, Event: *ev}
	at := time.Now()
	var res result
	if rt.cfg.Type == TypeFacebookCAPI {
		if rt.eventMap[ev.Name] == "" {
			return Attempt{}, fmt.Errorf("event %q is not mapped to a Meta event for endpoint %s", ev.Name, endpointID)
		}
		res = f.sendCAPI(ctx, rt, []*event.Event{ev})
	} else {
		res = f.sendWebhook(ctx, rt, m.WebhookID, ev)
	}
	rec := f.record(rt, m, 1, res, at)
	rec.Test, rec.State = true, StateTest
	if rt.cfg.Type == TypeWebhook {
		rec.RequestBody = f.clipBody(res.reqBody) // sample data only
	}
	f.dlog.Add(rec)
	return attemptOf(rec), nil
}

func firstMapped(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k, v := range m {
		if v != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if k == "popin_captured" {
			return k
		}
	}
	if len(keys) > 0 {
		return keys[0]
	}
	return "popin_captured"
}

// RotateSecret makes a new signing secret for a signature endpoint. The old
// one keeps signing beside it until now+overlap (default 24h). The pair is
// stored in the forwarder's state bucket (sealed with Settings.SecretBox
// when set) and overrides the configured secret from then on.
func (f *Forwarder) RotateSecret(ctx context.Context, endpointID string, overlap time.Duration) (secret string, previousExpiresAt time.Time, err error) {
	rt, err := f.endpoint(endpointID)
	if err != nil {
		return "", time.Time{}, err
	}
	if rt.cfg.Type != TypeWebhook || rt.cfg.Auth != AuthSignature {
		return "", time.Time{}, fmt.Errorf("endpoint %s does not sign its deliveries: %w", endpointID, ErrNotSigning)
	}
	if overlap <= 0 {
		overlap = 24 * time.Hour
	}
	secret = signing.NewSecret()
	exp := time.Now().Add(overlap).UTC().Truncate(time.Second)
	old := rt.cfg.Secret
	err = f.updateState(ctx, endpointID, func(s *endpointState) {
		s.Secret, s.PreviousSecret, s.PreviousExpires = secret, old, exp
	})
	if err != nil {
		return "", time.Time{}, err
	}
	return secret, exp, nil
}

// ErrNotSigning is returned by RotateSecret for endpoints without auth signature.
var ErrNotSigning = errors.New("endpoint does not sign")

// SetStatus sets an endpoint's run-time status: active (also re-enables an
// endpoint disabled by a 410), paused (events are kept and delivered on
// resume; waiting uses up no retries) or disabled. It is stored durably and
// overrides the configured status.
func (f *Forwarder) SetStatus(ctx context.Context, endpointID, status string) error {
	switch status {
	case StatusActive, StatusPaused, StatusDisabled:
	default:
		return fmt.Errorf("status %q is not one of active, paused, disabled", status)
	}
	if _, err := f.endpoint(endpointID); err != nil {
		return err
	}
	return f.updateState(ctx, endpointID, func(s *endpointState) {
		s.Status, s.StatusAt, s.Reason = status, time.Now().UTC(), ""
	})
}

// Redeliver queues events for an endpoint as manual deliveries (one attempt
// each, the usual webhook-id), e.g. to replay a time range.
func (f *Forwarder) Redeliver(ctx context.Context, endpointID string, events []event.Event) error {
	if _, err := f.endpoint(endpointID); err != nil {
		return err
	}
	f.mu.Lock()
	started := f.state == stateStarted
	f.mu.Unlock()
	if !started {
		return errors.New("forwarder: not started")
	}
	nonce := randomHex(6)
	for i := range events {
		ev := &events[i]
		m := &message{DeliveryID: DeliveryID(endpointID, ev.ID), WebhookID: WebhookID(ev.ID), EndpointID: endpointID,
			Event: *ev, EnqueuedAt: time.Now(), Manual: true}
		if err := f.enqueueOne(ctx, m, m.DeliveryID+"-m"+nonce); err != nil {
			return err
		}
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
