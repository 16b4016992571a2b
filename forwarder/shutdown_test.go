package forwarder

import (
	"io"
	"log/slog"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/popinbridge/bridge/internal/signing"
	"github.com/popinbridge/bridge/internal/testkit"
)

// The Forwarder keeps the Shutdown contract: safe without Start, twice and
// from two callers at once.
func TestShutdownContract(t *testing.T) {
	testkit.CheckShutdown(t, func(t *testing.T) testkit.Part {
		_, js := startNATS(t, t.TempDir())
		log := newMemLog(js)
		f, err := New(testConfig(webhookEP("ep", "http://127.0.0.1:1/hook", signing.NewSecret())), Settings{
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Registerer: prometheus.NewRegistry(),
			Log: log, NATS: log, DB: &memWriter{},
		})
		if err != nil {
			t.Fatal(err)
		}
		return f
	})
}
