package forwarder

import (
	"context"
	"net/http"
	"time"

	"github.com/popinbridge/bridge/collector/event"
	"github.com/popinbridge/bridge/forwarder/internal/payload"
	"github.com/popinbridge/bridge/forwarder/internal/retry"
	"github.com/popinbridge/bridge/forwarder/internal/signing"
)

// userAgent identifies the forwarder to receivers.
const userAgent = "bridge-forwarder/1"

// webhookBody renders the body for an endpoint: its template or the default.
func webhookBody(rt *endpointRuntime, ev *event.Event) ([]byte, error) {
	if rt.tmpl != nil {
		return rt.tmpl.Render(ev)
	}
	return payload.DefaultBody(ev)
}

// sendWebhook makes one attempt. The body is the same on every attempt;
// webhook-id stays, webhook-timestamp and the signature are made now.
func (f *Forwarder) sendWebhook(ctx context.Context, rt *endpointRuntime, webhookID string, ev *event.Event) result {
	body, err := webhookBody(rt, ev)
	if err != nil {
		return result{reqURL: rt.cfg.URL, err: retry.Permanent(err)}
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", userAgent)
	for k, v := range rt.cfg.Headers {
		h.Set(k, v)
	}
	now := time.Now()
	switch rt.cfg.Auth {
	case AuthSignature:
		signing.SetHeaders(h, webhookID, now, body, rt.signingKeys(now)...)
	case AuthBearer:
		h.Set("Authorization", "Bearer "+rt.cfg.Token)
		h.Set(signing.HeaderID, webhookID)
		h.Set(signing.HeaderTimestamp, formatUnix(now))
	case AuthAPIKey:
		h.Set(rt.cfg.APIKeyHeader, rt.cfg.Token)
		h.Set(signing.HeaderID, webhookID)
		h.Set(signing.HeaderTimestamp, formatUnix(now))
	default:
		h.Set(signing.HeaderID, webhookID)
		h.Set(signing.HeaderTimestamp, formatUnix(now))
	}
	r := f.do(ctx, rt.cfg.URL, h, body)
	r.reqHeaders = redactHeaders(h, rt.cfg.APIKeyHeader)
	return r
}
