package forwarder

import (
	"time"

	"github.com/popinbridge/bridge/forwarder/deliverylog"
	"github.com/popinbridge/bridge/forwarder/queue"
	"github.com/popinbridge/bridge/internal/consent"
	dlv "github.com/popinbridge/bridge/internal/delivery"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/site"
)

// Suppression reports whether an event carries the identifier of an erased
// person (*suppress.List; region reads phones without a country code).
type Suppression interface {
	Suppressed(ev *event.Event, region string) bool
}

// reasonErased is the purpose label and error of a delivery not made
// because the event's person was erased.
const reasonErased = "erased"

// suppress decides, at the fan-out, whether ev's consent lets it reach the
// endpoint (the purposes the endpoint needs, the site's consent_mode). When
// it does not, the delivery is not made: it is recorded once, with state
// suppressed and the missing purpose as its error, counted in
// bridge_forwarder_suppressed_total, never retried and not reported to the
// lifecycle (it says nothing about the endpoint's health). An event of an
// erased person (Settings.Suppression) is suppressed the same way for
// every endpoint, with reason "erased"; env caches that answer for the
// event's other endpoints.
func (f *Forwarder) suppress(rt *endpointRuntime, env *eventEnv, deliveryID string) bool {
	ev := env.ev
	if f.erased(env) {
		return f.suppressed(rt, ev, deliveryID, reasonErased, "suppressed: the person was erased (suppression list)")
	}
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
	return f.suppressed(rt, ev, deliveryID, purpose, why)
}

// erased reports (once per event) whether the event's person is on the
// suppression list.
func (f *Forwarder) erased(env *eventEnv) bool {
	if f.set.Suppression == nil {
		return false
	}
	if env.erased == 0 {
		env.erased = 1
		if f.set.Suppression.Suppressed(env.ev, site.PhoneRegion(f.set.Sites, env.ev.SiteID)) {
			env.erased = 2
		}
	}
	return env.erased == 2
}

// suppressed records a delivery not made, once.
func (f *Forwarder) suppressed(rt *endpointRuntime, ev *event.Event, deliveryID, purpose, why string) bool {
	f.m.suppressed.WithLabelValues(rt.cfg.ID, purpose).Inc()
	f.dlog.Add(deliverylog.Record{DeliveryID: deliveryID, EventID: ev.ID, EndpointID: rt.cfg.ID, SiteID: ev.SiteID,
		EventName: ev.Name, WebhookID: queue.WebhookID(ev.ID), AttemptedAt: time.Now().UTC(), State: dlv.StateSuppressed, Error: why})
	f.recent.add(deliveryID)
	return true
}
