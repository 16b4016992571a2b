package forwarder

import (
	"time"

	"github.com/popinbridge/bridge/forwarder/deliverylog"
	"github.com/popinbridge/bridge/forwarder/queue"
	"github.com/popinbridge/bridge/internal/consent"
	dlv "github.com/popinbridge/bridge/internal/delivery"
	"github.com/popinbridge/bridge/internal/event"
)

// suppress decides, at the fan-out, whether ev's consent lets it reach the
// endpoint (the purposes the endpoint needs, the site's consent_mode). When
// it does not, the delivery is not made: it is recorded once, with state
// suppressed and the missing purpose as its error, counted in
// bridge_forwarder_suppressed_total, never retried and not reported to the
// lifecycle (it says nothing about the endpoint's health).
func (f *Forwarder) suppress(rt *endpointRuntime, ev *event.Event, deliveryID string) bool {
	if len(rt.cfg.Consent) == 0 {
		return false
	}
	mode := consent.OptOut
	if f.set.Sites != nil {
		if s, ok := f.set.Sites.ByID(ev.SiteID); ok && s.ConsentMode != "" {
			mode = s.ConsentMode
		}
	}
	purpose, why := consent.Missing(ev.Context.Consent, mode, rt.cfg.Consent)
	if purpose == "" {
		return false
	}
	f.m.suppressed.WithLabelValues(rt.cfg.ID, purpose).Inc()
	f.dlog.Add(deliverylog.Record{DeliveryID: deliveryID, EventID: ev.ID, EndpointID: rt.cfg.ID, SiteID: ev.SiteID,
		EventName: ev.Name, WebhookID: queue.WebhookID(ev.ID), AttemptedAt: time.Now().UTC(), State: dlv.StateSuppressed, Error: why})
	f.recent.add(deliveryID)
	return true
}
