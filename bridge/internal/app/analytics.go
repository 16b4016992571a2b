package app

import (
	"context"

	"github.com/popinbridge/bridge/controlplane"
)

// analytics is controlplane.Analytics over the ClickHouse connection that
// storage makes in the background; until then every call answers 503.
type analytics struct{ s *storage }

var _ controlplane.Analytics = analytics{}

func (a analytics) get() (controlplane.Analytics, error) {
	db := a.s.DB()
	if db == nil {
		return nil, controlplane.Unavailable("ClickHouse (still connecting)")
	}
	return controlplane.NewClickHouseAnalytics(db), nil
}

func (a analytics) Funnel(ctx context.Context, q controlplane.AnalyticsQuery, steps []string) (controlplane.Funnel, error) {
	x, err := a.get()
	if err != nil {
		return controlplane.Funnel{}, err
	}
	return x.Funnel(ctx, q, steps)
}

func (a analytics) Summary(ctx context.Context, q controlplane.AnalyticsQuery) (controlplane.Summary, error) {
	x, err := a.get()
	if err != nil {
		return controlplane.Summary{}, err
	}
	return x.Summary(ctx, q)
}
