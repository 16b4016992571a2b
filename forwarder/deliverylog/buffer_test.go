package deliverylog

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/popinbridge/bridge/internal/testkit"
)

// memWriter keeps the batches it is given; while failing is set it
// refuses them; while hold is non-nil each write waits for it to close.
type memWriter struct {
	mu      sync.Mutex
	batches [][]Record
	failing bool
	hold    chan struct{}
	writing chan struct{} // receives a value when a write starts (if non-nil)
}

func (w *memWriter) WriteDeliveries(_ context.Context, rows []Record) error {
	w.mu.Lock()
	hold, writing := w.hold, w.writing
	w.mu.Unlock()
	if writing != nil {
		writing <- struct{}{}
	}
	if hold != nil {
		<-hold
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failing {
		return errors.New("clickhouse down")
	}
	w.batches = append(w.batches, append([]Record(nil), rows...))
	return nil
}

func (w *memWriter) setFailing(v bool) { w.mu.Lock(); w.failing = v; w.mu.Unlock() }

// sizes is the size of each batch written, and the rows' ids in order.
func (w *memWriter) sizes() ([]int, []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var sizes []int
	var ids []string
	for _, b := range w.batches {
		sizes = append(sizes, len(b))
		for _, r := range b {
			ids = append(ids, r.DeliveryID)
		}
	}
	return sizes, ids
}

func newBuffer(t *testing.T, w Writer, maxRows int, interval time.Duration) (*Buffer, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	b, err := New(w, maxRows, interval, nil, reg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Shutdown(context.Background()) })
	return b, reg
}

const (
	dropped  = "bridge_forwarder_delivery_log_dropped_total"
	errs     = "bridge_forwarder_delivery_log_write_errors_total"
	buffered = "bridge_forwarder_delivery_log_buffered_rows"
)

func add(b *Buffer, from, to int) {
	for i := from; i < to; i++ {
		b.Add(Record{DeliveryID: fmt.Sprint(i)})
	}
}

func ids(from, to int) string {
	var s []string
	for i := from; i < to; i++ {
		s = append(s, fmt.Sprint(i))
	}
	return strings.Join(s, ",")
}

func TestBufferShutdownContract(t *testing.T) {
	for _, tc := range []struct {
		name string
		w    Writer
	}{{"with a writer", &memWriter{}}, {"without a writer", nil}} {
		t.Run(tc.name, func(t *testing.T) {
			testkit.CheckShutdown(t, func(t *testing.T) testkit.Part {
				b, _ := newBuffer(t, tc.w, 10, time.Hour)
				b.Add(Record{DeliveryID: "x"})
				return b
			})
		})
	}
}

func TestBufferStartAfterShutdown(t *testing.T) {
	b, _ := newBuffer(t, &memWriter{}, 10, time.Hour)
	_ = b.Shutdown(context.Background())
	if err := b.Start(context.Background()); err == nil {
		t.Fatal("Start after Shutdown succeeded")
	}
}

// TestBufferBound: rows beyond maxRows are dropped and counted; the rest
// are written by Shutdown's last flush, in order.
func TestBufferBound(t *testing.T) {
	w := &memWriter{}
	b, reg := newBuffer(t, w, 3, time.Hour)
	add(b, 0, 5)
	if d, n := testkit.Metric(t, reg, dropped), testkit.Metric(t, reg, buffered); d != 2 || n != 3 {
		t.Fatalf("dropped %v buffered %v, want 2 and 3", d, n)
	}
	if err := b.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, got := w.sizes(); strings.Join(got, ",") != ids(0, 3) {
		t.Errorf("written %v, want %s", got, ids(0, 3))
	}
	if d := testkit.Metric(t, reg, dropped); d != 2 {
		t.Errorf("dropped %v after Shutdown, want 2", d)
	}
	b.Add(Record{DeliveryID: "late"})
	if d := testkit.Metric(t, reg, dropped); d != 3 {
		t.Errorf("a row added after Shutdown: dropped %v, want 3", d)
	}
}

// TestBufferBatches: a full batch is written without waiting for the
// interval; no write gets more than a batch.
func TestBufferBatches(t *testing.T) {
	w := &memWriter{}
	b, reg := newBuffer(t, w, 3*batchRows, time.Hour)
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	add(b, 0, batchRows)
	testkit.Eventually(t, 10*time.Second, func() error {
		if sizes, _ := w.sizes(); len(sizes) != 1 || sizes[0] != batchRows {
			return fmt.Errorf("batches %v", sizes)
		}
		return nil
	})
	add(b, batchRows, 3*batchRows)
	_ = b.Shutdown(context.Background())
	sizes, got := w.sizes()
	for _, s := range sizes {
		if s > batchRows {
			t.Errorf("a batch of %d rows", s)
		}
	}
	if strings.Join(got, ",") != ids(0, 3*batchRows) {
		t.Errorf("%d rows written (batches %v), want %d in order", len(got), sizes, 3*batchRows)
	}
	if d, n := testkit.Metric(t, reg, dropped), testkit.Metric(t, reg, buffered); d != 0 || n != 0 {
		t.Errorf("dropped %v buffered %v, want 0 and 0", d, n)
	}
}

// TestBufferKeepsFailedBatch: while the writer fails, rows wait (counted
// write errors); they are written once it recovers.
func TestBufferKeepsFailedBatch(t *testing.T) {
	w := &memWriter{failing: true}
	b, reg := newBuffer(t, w, 10, time.Millisecond)
	add(b, 0, 3)
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 10*time.Second, func() error {
		if e := testkit.Metric(t, reg, errs); e < 2 {
			return fmt.Errorf("%v write errors", e)
		}
		return nil
	})
	if _, got := w.sizes(); len(got) != 0 {
		t.Fatalf("written %v while failing", got)
	}
	w.setFailing(false)
	testkit.Eventually(t, 10*time.Second, func() error {
		if _, got := w.sizes(); strings.Join(got, ",") != ids(0, 3) {
			return fmt.Errorf("written %v", got)
		}
		return nil
	})
	if d := testkit.Metric(t, reg, dropped); d != 0 {
		t.Errorf("dropped %v", d)
	}
}

// TestBufferShutdownDropsUnwritten: rows the writer refuses at Shutdown
// are counted as dropped.
func TestBufferShutdownDropsUnwritten(t *testing.T) {
	w := &memWriter{failing: true}
	b, reg := newBuffer(t, w, 10, time.Hour)
	add(b, 0, 2)
	if err := b.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if e, d, n := testkit.Metric(t, reg, errs), testkit.Metric(t, reg, dropped), testkit.Metric(t, reg, buffered); e != 1 || d != 2 || n != 0 {
		t.Errorf("write errors %v dropped %v buffered %v, want 1, 2, 0", e, d, n)
	}
}

// TestBufferShutdownTimeout: Shutdown whose ctx ends while the loop is
// writing returns, counts the rows as dropped, and the write that then
// succeeds leaves the buffer alone.
func TestBufferShutdownTimeout(t *testing.T) {
	w := &memWriter{hold: make(chan struct{}), writing: make(chan struct{}, 1)}
	b, reg := newBuffer(t, w, 10, time.Millisecond)
	add(b, 0, 2)
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-w.writing // the loop is writing the two rows
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if d := testkit.Metric(t, reg, dropped); d != 2 {
		t.Errorf("dropped %v, want 2", d)
	}
	close(w.hold)
	<-b.stopped
	if _, got := w.sizes(); strings.Join(got, ",") != ids(0, 2) {
		t.Errorf("written %v", got)
	}
}

func TestNew(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := New(&memWriter{}, 10, time.Second, nil, reg); err != nil {
		t.Fatal(err)
	}
	if _, err := New(&memWriter{}, 10, time.Second, nil, reg); err == nil || !strings.Contains(err.Error(), dropped) {
		t.Errorf("second registration: %v, want an error naming %s", err, dropped)
	}
	for _, tc := range []struct {
		name     string
		maxRows  int
		interval time.Duration
	}{{"no rows", 0, time.Second}, {"no interval", 10, 0}} {
		if _, err := New(&memWriter{}, tc.maxRows, tc.interval, nil, nil); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

// TestBufferRetriesTheSameBatch: a failed batch is written again as it
// was, rows added meanwhile following in a batch of their own, so that a
// server deduplicating insert blocks recognises the retry.
func TestBufferRetriesTheSameBatch(t *testing.T) {
	w := &memWriter{failing: true}
	b, reg := newBuffer(t, w, 100, time.Hour)
	ctx := context.Background()
	add(b, 0, 3)
	b.flush(ctx)
	if e := testkit.Metric(t, reg, errs); e != 1 {
		t.Fatalf("%v write errors, want 1", e)
	}
	add(b, 3, 5)
	w.setFailing(false)
	b.flush(ctx)
	sizes, got := w.sizes()
	if fmt.Sprint(sizes) != "[3 2]" || strings.Join(got, ",") != ids(0, 5) {
		t.Errorf("batches %v rows %v, want [3 2] and %s", sizes, got, ids(0, 5))
	}
	add(b, 5, 9) // after the retry, batches are whole again
	b.flush(ctx)
	if sizes, _ := w.sizes(); fmt.Sprint(sizes) != "[3 2 4]" {
		t.Errorf("batches %v, want [3 2 4]", sizes)
	}
}
