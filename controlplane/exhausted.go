package controlplane

import (
	"sync"
	"time"

	"github.com/popinbridge/bridge/internal/delivery"
)

// exhaustedSampleSize bounds the deliveries listed in one
// message.attempt.exhausted event.
const exhaustedSampleSize = 5

// ExhaustedData is the data of message.attempt.exhausted. One event covers
// every delivery of an endpoint that used its last attempt since the
// endpoint's previous event, at most one event per endpoint per
// ops_webhook.exhausted_window. The delivery fields at the top level are
// those of the latest of them.
type ExhaustedData struct {
	EndpointID string `json:"endpoint_id"`
	// Count is the number of deliveries covered (≥ 1).
	Count int `json:"count"`
	// FirstAt and LastAt are when the first and the latest of them were
	// seen dead.
	FirstAt time.Time `json:"first_at"`
	LastAt  time.Time `json:"last_at"`
	// Sample lists the first of them (at most 5).
	Sample []ExhaustedDelivery `json:"sample"`
	ExhaustedDelivery
}

// ExhaustedDelivery is one dead delivery.
type ExhaustedDelivery struct {
	EventID    string `json:"event_id,omitempty"`
	EventName  string `json:"event_name,omitempty"`
	DeliveryID string `json:"delivery_id,omitempty"`
	WebhookID  string `json:"webhook_id,omitempty"`
	Attempt    int    `json:"attempt"`
	StatusCode int    `json:"status_code"`
	Error      string `json:"error,omitempty"`
}

func exhaustedDelivery(a delivery.Attempt) ExhaustedDelivery {
	return ExhaustedDelivery{EventID: a.EventID, EventName: a.EventName, DeliveryID: a.DeliveryID,
		WebhookID: a.WebhookID, Attempt: a.Attempt, StatusCode: a.StatusCode, Error: a.Error}
}

// exhaustedWindows aggregates dead deliveries per endpoint. The first one
// of an endpoint is notified at once and opens a window; those dying
// within it are counted and notified together when it ends, which opens the
// next window; a window in which none died closes. So an endpoint gets at
// most one event per window, and memory is one window per endpoint that
// had a dead delivery within the last window. Safe for concurrent use.
type exhaustedWindows struct {
	window time.Duration

	mu   sync.Mutex
	open map[string]*exhaustedRun
}

type exhaustedRun struct {
	start time.Time // of the window
	data  ExhaustedData
}

func newExhaustedWindows(window time.Duration) *exhaustedWindows {
	return &exhaustedWindows{window: window, open: map[string]*exhaustedRun{}}
}

// add counts a dead delivery seen at now; it returns the event to send at
// once, if any.
func (w *exhaustedWindows) add(a delivery.Attempt, now time.Time) (ExhaustedData, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	id := a.EndpointID
	r := w.open[id]
	switch {
	case r == nil:
		// First in a while: sent at once, and the window opens.
		r = w.openRun(id, now)
		r.data.add(a, now)
		out := r.data
		r.data = ExhaustedData{EndpointID: id}
		return out, true
	case now.Sub(r.start) >= w.window:
		// The window ended before the ticker saw it: what it counted goes
		// out with this delivery, and the next window opens.
		out := r.data
		out.add(a, now)
		w.openRun(id, now)
		return out, true
	default:
		r.data.add(a, now)
		return ExhaustedData{}, false
	}
}

func (w *exhaustedWindows) openRun(id string, now time.Time) *exhaustedRun {
	r := &exhaustedRun{start: now, data: ExhaustedData{EndpointID: id}}
	w.open[id] = r
	return r
}

func (d *ExhaustedData) add(a delivery.Attempt, now time.Time) {
	if d.Count == 0 {
		d.FirstAt = now
	}
	d.Count++
	d.LastAt = now
	d.ExhaustedDelivery = exhaustedDelivery(a)
	if len(d.Sample) < exhaustedSampleSize {
		d.Sample = append(d.Sample, d.ExhaustedDelivery)
	}
}

// due returns the events of the windows ended by now, opening the next
// window for each, and closes the windows in which none died.
func (w *exhaustedWindows) due(now time.Time) []ExhaustedData {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []ExhaustedData
	for id, r := range w.open {
		if now.Sub(r.start) < w.window {
			continue
		}
		if r.data.Count == 0 {
			delete(w.open, id)
			continue
		}
		out = append(out, r.data)
		w.openRun(id, now)
	}
	return out
}

// flush returns the events of every window with deliveries counted and
// forgets all windows (at shutdown).
func (w *exhaustedWindows) flush() []ExhaustedData {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []ExhaustedData
	for _, r := range w.open {
		if r.data.Count > 0 {
			out = append(out, r.data)
		}
	}
	clear(w.open)
	return out
}
