package controlplane

import (
	"testing"

	"github.com/popinbridge/bridge/internal/natsrv"
	"github.com/popinbridge/bridge/internal/natstest"
	"github.com/popinbridge/bridge/internal/testkit"
)

// The Manager keeps the Shutdown contract: safe without Start, twice and
// from two callers at once (the lifecycle worker and the notifier drain).
func TestShutdownContract(t *testing.T) {
	testkit.CheckShutdown(t, func(t *testing.T) testkit.Part {
		m, err := New(NewDefaultConfig(), Settings{MasterKey: testKey, NATS: natsrv.Fixed(natstest.JetStream(t)), Engine: &fakeEngine{}})
		if err != nil {
			t.Fatal(err)
		}
		return m
	})
}
