package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/popinbridge/bridge/internal/chtest"
)

// bridgeIngest is sdkIngest over a real `bridge serve` process whose events
// are read back from ClickHouse with FINAL: an id stored twice shows up with
// Count 2, so "exactly once in ClickHouse" is what the browser tests check.
type bridgeIngest struct {
	proc *bridgeProc
	ch   *chtest.Server
	db   string
}

var (
	nonIdent = regexp.MustCompile(`[^a-zA-Z0-9_]+`)
	dbSeq    atomic.Int64
)

// uniqueDB names a database of the shared ClickHouse that no other test,
// run (-count) or test binary uses.
func uniqueDB(name string) string {
	if len(name) > 40 {
		name = name[:40]
	}
	return fmt.Sprintf("e2e_%s_%d_%d", name, os.Getpid(), dbSeq.Add(1))
}

func startBridgeIngest(t *testing.T) *bridgeIngest { return startBridgeIngestWith(t, "") }

// startBridgeIngestWith adds extraYAML (top-level keys) to the config.
func startBridgeIngestWith(t *testing.T, extraYAML string) *bridgeIngest {
	ch := chtest.Shared(t)
	db := uniqueDB(strings.ToLower(nonIdent.ReplaceAllString(t.Name(), "_")))
	cfg := fmt.Sprintf(`clickhouse:
  addr: %q
  database: %q
clickhouse_sink:
  flush_interval: 200ms
sites:
  - id: "e2e"
    write_key: %q
    origins: ["*"]
    popin_api_key: "k3y"
    pii: raw
%s`, ch.Addr(), db, "pk_"+db, extraYAML)
	return &bridgeIngest{proc: startBridge(t, cfg), ch: ch, db: db}
}

func (b *bridgeIngest) BaseURL() string  { return "http://" + b.proc.addr }
func (b *bridgeIngest) Key() string      { return "pk_" + b.db }
func (b *bridgeIngest) Stop(*testing.T)  { b.proc.kill() }
func (b *bridgeIngest) Start(*testing.T) { b.proc.restart() }

// Received reads every stored event (FINAL), counting rows per id.
func (b *bridgeIngest) Received() map[string]receivedEvent {
	out := map[string]receivedEvent{}
	q := fmt.Sprintf("SELECT event_id, name, source, seq, sid, aid, data, user_id, ip FROM %s.events FINAL FORMAT JSONEachRow", b.db)
	res, err := b.ch.Query(context.Background(), q)
	if err != nil {
		return out // not migrated yet: nothing received
	}
	for _, line := range strings.Split(res, "\n") {
		if line == "" {
			continue
		}
		var r struct {
			ID     string          `json:"event_id"`
			Name   string          `json:"name"`
			Source string          `json:"source"`
			Seq    json.RawMessage `json:"seq"` // 64-bit ints may come quoted
			Sid    string          `json:"sid"`
			Aid    string          `json:"aid"`
			Data   string          `json:"data"`
			UserID string          `json:"user_id"`
			IP     string          `json:"ip"`
		}
		if json.Unmarshal([]byte(line), &r) != nil {
			continue
		}
		e := out[r.ID]
		e.Count++
		e.Name, e.Sid, e.Aid, e.Data, e.UserID, e.IP = r.Name, r.Sid, r.Aid, json.RawMessage(r.Data), r.UserID, r.IP
		e.Seq, _ = strconv.ParseInt(strings.Trim(string(r.Seq), `"`), 10, 64)
		if r.Source == "custom" {
			e.Src = "custom"
		}
		out[r.ID] = e
	}
	return out
}
