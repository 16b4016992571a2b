package app

import (
	"context"
	"time"

	"github.com/popinbridge/bridge/collector/event"
	"github.com/popinbridge/bridge/forwarder/mgmt"
)

// history is mgmt.History over the ClickHouse connection that storage
// makes in the background; until then every call answers 503.
type history struct{ s *storage }

var _ mgmt.History = history{}

func (h history) get() (mgmt.History, error) {
	db := h.s.DB()
	if db == nil {
		return nil, mgmt.Unavailable("ClickHouse (still connecting)")
	}
	return mgmt.NewClickHouseHistory(db), nil
}

func (h history) Deliveries(ctx context.Context, q mgmt.DeliveryQuery) ([]mgmt.Delivery, string, error) {
	x, err := h.get()
	if err != nil {
		return nil, "", err
	}
	return x.Deliveries(ctx, q)
}

func (h history) Delivery(ctx context.Context, id string) ([]mgmt.Delivery, error) {
	x, err := h.get()
	if err != nil {
		return nil, err
	}
	return x.Delivery(ctx, id)
}

func (h history) FailedSince(ctx context.Context, endpointID string, since time.Time, limit int) ([]mgmt.Delivery, error) {
	x, err := h.get()
	if err != nil {
		return nil, err
	}
	return x.FailedSince(ctx, endpointID, since, limit)
}

func (h history) Stats(ctx context.Context, endpointID string, window time.Duration, now time.Time) (mgmt.Stats, error) {
	x, err := h.get()
	if err != nil {
		return mgmt.Stats{}, err
	}
	return x.Stats(ctx, endpointID, window, now)
}

func (h history) Events(ctx context.Context, siteID string, from, to time.Time, limit int) ([]event.Event, bool, error) {
	x, err := h.get()
	if err != nil {
		return nil, false, err
	}
	return x.Events(ctx, siteID, from, to, limit)
}
