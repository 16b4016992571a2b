package ingest

import (
	"context"
	"maps"
	"time"

	"github.com/popinbridge/bridge/internal/event"
)

// lookupTimeout bounds the consent lookup of one webhook.
const lookupTimeout = 2 * time.Second

// observeConsent hands the consent of appended browser and custom events
// to the consent memory; webhooks' own (inherited) consent is not fed back.
// Consecutive events of one visitor with one consent are handed over once.
func (in *Ingest) observeConsent(c client, evs []event.Event) {
	if in.consent == nil || c.transport == "hook" {
		return
	}
	var last *event.Event
	for i := range evs {
		ev := &evs[i]
		if ev.UID == "" || len(ev.Context.Consent) == 0 {
			continue
		}
		if last != nil && last.UID == ev.UID && maps.Equal(last.Context.Consent, ev.Context.Consent) {
			continue
		}
		in.consent.Observe(ev.SiteID, ev.UID, ev.Context.Consent)
		last = ev
	}
}

// inheritConsent gives a webhook without consent the last consent
// remembered for its uid on its site. Without one the event keeps none and
// the site's consent_mode decides. An error means the memory cannot answer
// now: the webhook is refused as unavailable (Popin retries) rather than
// forwarded under a consent that may have been withdrawn.
func (in *Ingest) inheritConsent(ctx context.Context, ev *event.Event) error {
	if in.consent == nil || ev.UID == "" || len(ev.Context.Consent) > 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	c, err := in.consent.Lookup(ctx, ev.SiteID, ev.UID)
	if err != nil {
		return err
	}
	ev.Context.Consent = c
	return nil
}
