package app

import (
	"context"
	"time"

	"github.com/popinbridge/bridge/controlplane"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/piicrypt"
)

// history is controlplane.History over the ClickHouse connection that storage
// makes in the background; until then every call answers 503. Events of
// sites with `pii: encrypt` come back decrypted, so replays are complete.
type history struct {
	s   *storage
	box *piicrypt.Box
}

var _ controlplane.History = history{}

func (h history) get() (controlplane.History, error) {
	db := h.s.DB()
	if db == nil {
		return nil, controlplane.Unavailable("ClickHouse (still connecting)")
	}
	return controlplane.NewClickHouseHistory(db), nil
}

func (h history) Deliveries(ctx context.Context, q controlplane.DeliveryQuery) ([]controlplane.Delivery, string, error) {
	x, err := h.get()
	if err != nil {
		return nil, "", err
	}
	return x.Deliveries(ctx, q)
}

func (h history) Delivery(ctx context.Context, id string) ([]controlplane.Delivery, error) {
	x, err := h.get()
	if err != nil {
		return nil, err
	}
	return x.Delivery(ctx, id)
}

func (h history) FailedSince(ctx context.Context, endpointID string, since time.Time, limit int) ([]controlplane.Delivery, error) {
	x, err := h.get()
	if err != nil {
		return nil, err
	}
	return x.FailedSince(ctx, endpointID, since, limit)
}

func (h history) Stats(ctx context.Context, endpointID string, window time.Duration, now time.Time) (controlplane.Stats, error) {
	x, err := h.get()
	if err != nil {
		return controlplane.Stats{}, err
	}
	return x.Stats(ctx, endpointID, window, now)
}

func (h history) Events(ctx context.Context, siteID string, from, to time.Time, limit int) ([]event.Event, bool, error) {
	x, err := h.get()
	if err != nil {
		return nil, false, err
	}
	evs, more, err := x.Events(ctx, siteID, from, to, limit)
	if err != nil {
		return nil, false, err
	}
	for i := range evs {
		data, _, err := h.box.OpenJSON(evs[i].Data)
		if err == nil {
			evs[i].Data = data
		}
	}
	return evs, more, nil
}
