package controlplane

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestHistoryRetriedInsert: the delivery log inserted the same batch twice
// (a retry after an ambiguous failure); every read of the control plane
// shows each attempt once.
func TestHistoryRetriedInsert(t *testing.T) {
	db := openHistory(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// Keep both copies as separate parts, as before a background merge.
	if err := db.Conn().Exec(ctx, "SYSTEM STOP MERGES "+db.Table("deliveries")); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	var rows []row
	for i := range 10 { // d0..d9; odd ones fail twice and die
		d := fmt.Sprintf("d%d", i)
		at := now.Add(-time.Duration(10-i) * time.Minute)
		if i%2 == 1 {
			rows = append(rows, row{d, "e" + d, "popin_captured", 1, 500, false, false, at.Add(-30 * time.Second), "failed"},
				row{d, "e" + d, "popin_captured", 2, 503, false, false, at, "dead"})
		} else {
			rows = append(rows, row{d, "e" + d, "popin_captured", 1, 200, true, false, at, "succeeded"})
		}
	}
	insertDeliveries(t, db, "crm", rows)
	insertDeliveries(t, db, "crm", rows)
	var stored uint64
	if err := db.Conn().QueryRow(ctx, "SELECT count() FROM "+db.Table("deliveries")).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != uint64(2*len(rows)) && !db.Features().InsertDedup {
		t.Fatalf("control: %d rows stored, want both copies (%d)", stored, 2*len(rows))
	}

	h := NewClickHouseHistory(db)
	list, next, err := h.Deliveries(ctx, DeliveryQuery{EndpointID: "crm", Limit: 100})
	if err != nil || next != "" || len(list) != len(rows) {
		t.Fatalf("Deliveries: %d attempts (next %q, %v), want %d", len(list), next, err, len(rows))
	}
	attempts, err := h.Delivery(ctx, "d1")
	if err != nil || len(attempts) != 2 || attempts[0].Attempt != 1 || attempts[1].Attempt != 2 {
		t.Fatalf("Delivery d1: %+v, %v; want attempts 1 and 2", attempts, err)
	}
	s, err := h.Stats(ctx, "crm", time.Hour, now.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	var series uint64
	for _, b := range s.Series {
		series += b.Succeeded + b.Failed
	}
	if s.Attempts != uint64(len(rows)) || s.Succeeded != 5 || s.Counts["5xx"] != 10 || series != uint64(len(rows)) {
		t.Fatalf("Stats: attempts %d succeeded %d counts %v series %d; want %d, 5, 5xx 10, %d",
			s.Attempts, s.Succeeded, s.Counts, series, len(rows), len(rows))
	}
	failed, err := h.FailedSince(ctx, "crm", now.Add(-time.Hour), 100)
	if err != nil || len(failed) != 5 {
		t.Fatalf("FailedSince: %d deliveries, %v; want 5", len(failed), err)
	}
}

// FailedSince judges a delivery by its latest attempt in time: a replay
// restarts attempt numbers at 1, so a replayed delivery now waiting for its
// automatic retry is not failed though an older attempt has a higher
// number; one whose replay died again is.
func TestFailedSinceAfterReplay(t *testing.T) {
	db := openHistory(t)
	now := time.Now().UTC().Truncate(time.Second)
	dead := now.Add(-10 * time.Minute)
	insertDeliveries(t, db, "crm", []row{
		{"waiting", "ew", "popin_captured", 3, 500, false, false, dead, "dead"},
		{"waiting", "ew", "popin_captured", 1, 500, false, false, now.Add(-time.Minute), "retrying"},
		{"again", "ea", "popin_captured", 3, 500, false, false, dead, "dead"},
		{"again", "ea", "popin_captured", 1, 400, false, false, now.Add(-time.Minute), "dead"},
	})
	failed, err := NewClickHouseHistory(db).FailedSince(context.Background(), "crm", now.Add(-time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range failed {
		ids = append(ids, d.DeliveryID)
	}
	if len(ids) != 1 || ids[0] != "again" {
		t.Fatalf("FailedSince: %v, want [again] (\"waiting\" waits for its retry)", ids)
	}
}
