package controlplane

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/chdb"
)

// A delivery's first attempt and a replay's attempt 1 made within the same
// second are two attempts everywhere the control plane reads them: the
// list (paged one row at a time, each row once, newest first), the
// delivery's detail, and FailedSince, which judges by the later of them.
func TestHistorySameSecondReplay(t *testing.T) {
	db := openHistory(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	sec := time.Now().UTC().Truncate(time.Second).Add(-time.Minute)
	type attempt struct {
		delivery, trigger, state string
		after                    time.Duration
	}
	// "waits": its replay waits for a retry; "again": its replay died too.
	rows := []attempt{
		{"waits", "first", "dead", 100 * time.Millisecond}, {"waits", "replay", "retrying", 700 * time.Millisecond},
		{"again", "first", "retrying", 100 * time.Millisecond}, {"again", "replay", "dead", 700 * time.Millisecond},
	}
	b, err := db.Conn().PrepareBatch(ctx, "INSERT INTO "+db.Table("deliveries")+" ("+chdb.DeliveriesColumns+", "+
		chdb.DeliveriesMatchKeysColumn+", "+chdb.DeliveriesTriggerColumn+", "+chdb.DeliveriesAttemptedNSColumn+")")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		at := sec.Add(r.after)
		if err := b.Append(r.delivery, "e"+r.delivery, "crm", "acme", "popin_captured", "wh_"+r.delivery, uint32(1), uint16(500),
			uint8(0), uint32(7), "status 500", at, time.Unix(0, 0), uint8(0), "https://crm.example.com/h", "{}", "", "",
			r.state, "", r.trigger, uint64(at.UnixNano())); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
	if err := db.Conn().Exec(ctx, "OPTIMIZE TABLE "+db.Table("deliveries")+" FINAL"); err != nil {
		t.Fatal(err)
	}
	h := NewClickHouseHistory(db)

	var listed []string
	cursor := ""
	for page := 0; page < 10; page++ {
		list, next, err := h.Deliveries(ctx, DeliveryQuery{EndpointID: "crm", Limit: 1, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range list {
			listed = append(listed, d.DeliveryID+"/"+d.Trigger)
		}
		if cursor = next; cursor == "" {
			break
		}
	}
	if got, want := strings.Join(listed, " "), "waits/replay waits/first again/replay again/first"; got != want {
		t.Errorf("list paged by one: %s, want %s", got, want)
	}
	detail, err := h.Delivery(ctx, "waits")
	if err != nil || len(detail) != 2 || detail[0].Trigger != "first" || detail[1].Trigger != "replay" {
		t.Errorf("Delivery(waits): %+v, %v; want its first attempt, then the replay's", detail, err)
	}
	failed, err := h.FailedSince(ctx, "crm", sec.Add(-time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range failed {
		got = append(got, fmt.Sprintf("%s/%s/%s", d.DeliveryID, d.Trigger, d.State))
	}
	if strings.Join(got, " ") != "again/replay/dead" {
		t.Errorf("FailedSince: %v, want [again/replay/dead] (waits waits for its retry)", got)
	}
}
