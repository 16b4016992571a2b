package chsink_test

import (
	"context"
	"testing"
	"time"

	"github.com/popinbridge/bridge/internal/chtest"
	"github.com/popinbridge/bridge/internal/piinorm"
	"github.com/popinbridge/bridge/internal/testkit"
)

// The site's pii_names reaches ClickHouse: keep (acme, pii hash) stores
// names in clear, hash stores their SHA-256, drop removes them even on a
// pii: raw site (whose e-mail stays raw).
func TestSinkPIINames(t *testing.T) {
	db := openDB(t, chtest.Shared(t))
	log := newMemLog()
	data := map[string]any{"name": "Asha", "email": "asha@example.com", "screen": "home"}
	email := piinorm.Hash("asha@example.com")
	want := map[string]string{
		"acme":       `{"email":"` + email + `","name":"Asha","screen":"home"}`,
		"namehashco": `{"email":"` + email + `","name":"` + piinorm.Hash("asha") + `","screen":"home"}`,
		"namedropco": `{"email":"asha@example.com","screen":"home"}`,
	}
	ids := map[string]string{}
	i := 0
	for site := range want {
		e := ev(400+i, site, "popin_captured", data)
		ids[site] = e.ID
		log.Append(e)
		i++
	}
	startSink(t, db, log, nil)
	testkit.Eventually(t, 20*time.Second, log.ackedAll(-1))
	for site, w := range want {
		var got string
		if err := db.Conn().QueryRow(context.Background(), "SELECT data FROM events WHERE event_id = ?", ids[site]).Scan(&got); err != nil {
			t.Fatalf("%s: %v", site, err)
		}
		if got != w {
			t.Errorf("%s stored %s, want %s", site, got, w)
		}
	}
}
