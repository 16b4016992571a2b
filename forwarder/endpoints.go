package forwarder

import (
	"reflect"
	"time"

	"github.com/popinbridge/bridge/internal/endpoint"
)

// sameDelivery reports whether two versions of an endpoint deliver alike:
// equal in everything but the control plane's bookkeeping (lifecycle,
// timestamps, description), so a lifecycle write does not rebuild the
// endpoint's runtime.
func sameDelivery(a, b *endpoint.Endpoint) bool {
	x, y := deliveryPart(*a), deliveryPart(*b)
	return reflect.DeepEqual(&x, &y)
}

func deliveryPart(e endpoint.Endpoint) endpoint.Endpoint {
	e.ApplyDefaults()
	e.Description, e.Origin = "", ""
	e.DisabledReason, e.DisabledAt, e.FailingSince, e.FailingNotified = "", nil, nil, false
	e.CreatedAt, e.UpdatedAt = time.Time{}, time.Time{}
	if len(e.Headers) == 0 {
		e.Headers = nil
	}
	if len(e.EventMap) == 0 {
		e.EventMap = nil
	}
	if len(e.RetrySchedule) == 0 {
		e.RetrySchedule = nil
	}
	if len(e.PreviousSecrets) == 0 {
		e.PreviousSecrets = nil
	}
	return e
}
