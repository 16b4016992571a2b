package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// lowRateFloorEnv makes the test binary serve the low-rate floor instead of
// running tests (see TestMain); its value is the webhook receiver's URL.
const lowRateFloorEnv = "BRIDGE_BENCH_LOWRATE_FLOOR"

// lowRateFloorPartsEnv leaves parts out of the floor server to show what each
// costs: "nofsync" writes without the fdatasync, "nohook" sends no webhook.
const lowRateFloorPartsEnv = "BRIDGE_BENCH_LOWRATE_FLOOR_PARTS"

// serveLowRateFloor is the least a durable collector can do per event in Go
// on this machine: per request it reads the batch, appends it to a file with
// one fdatasync, answers 200, and then POSTs each event once to the webhook
// receiver over a kept-alive connection. No validation, no log consumers, no
// ClickHouse. It prints "ADDR host:port" and serves until killed.
func serveLowRateFloor(hookURL string) {
	dir, err := os.MkdirTemp("", "bridge-floor-")
	if err != nil {
		childFail(err)
	}
	defer os.RemoveAll(dir)
	parts := os.Getenv(lowRateFloorPartsEnv)
	fsync, hook := !strings.Contains(parts, "nofsync"), !strings.Contains(parts, "nohook")
	f, err := os.OpenFile(filepath.Join(dir, "log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		childFail(err)
	}
	// One sender, bounded: the floor forwards in the background like the
	// bridge's fast path, so the answer does not wait for the webhook.
	hooks := make(chan []byte, 4096)
	go func() {
		client := &http.Client{}
		for body := range hooks {
			resp, err := client.Post(hookURL, "application/json", bytes.NewReader(body))
			if err != nil {
				continue
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}()
	appends := make(chan struct{}, 1) // one appender at a time: the file's lock
	appends <- struct{}{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var frame struct {
			Batch []json.RawMessage `json:"batch"`
		}
		if err := json.Unmarshal(body, &frame); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		<-appends
		_, err = f.Write(append(body, '\n'))
		if err == nil && fsync {
			err = syscall.Fdatasync(int(f.Fd()))
		}
		appends <- struct{}{}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`{"ok":true}`))
		for _, ev := range frame.Batch {
			if hook {
				hooks <- ev
			}
		}
	})
	serveChild(h)
}

// startLowRateFloor runs serveLowRateFloor in a child process posting to
// hookURL; it returns the child's pid and address and kills it at cleanup.
func startLowRateFloor(t *testing.T, hookURL, parts string) (int, string) {
	t.Helper()
	return startChildServer(t, lowRateFloorEnv+"="+hookURL, lowRateFloorPartsEnv+"="+parts)
}
