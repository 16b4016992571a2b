package adminui_test

import (
	"context"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/chdb"
)

// logged is one delivery-log row written the way the forwarder writes it.
type logged struct {
	delivery  string
	attempt   int
	code      int
	at        time.Time
	reqBody   string
	state     string
	site, url string
	matchKeys string
	err       string
	trigger   string // "" as in rows logged before triggers were recorded
}

func insertLogged(t *testing.T, db *chdb.DB, endpoint string, rows []logged) {
	t.Helper()
	ctx := context.Background()
	b, err := db.Conn().PrepareBatch(ctx, "INSERT INTO "+db.Table("deliveries")+" ("+chdb.DeliveriesColumns+", "+chdb.DeliveriesMatchKeysColumn+", "+chdb.DeliveriesTriggerColumn+")")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		ok := uint8(0)
		if r.code/100 == 2 {
			ok = 1
		}
		if err := b.Append(r.delivery, "ev_"+r.delivery, endpoint, r.site, "popin_captured", "wh_"+r.delivery, uint32(r.attempt),
			uint16(r.code), ok, uint32(20), r.err, r.at.UTC().Truncate(time.Second), time.Unix(0, 0), uint8(0), r.url,
			`{"content-type":"application/json"}`, r.reqBody, "", r.state, r.matchKeys, r.trigger); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
}
