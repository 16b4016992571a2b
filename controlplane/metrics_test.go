package controlplane

import (
	"errors"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/popinbridge/bridge/internal/natsrv"
)

// A registration error is a startup error: a second Manager on the same
// registry fails New instead of running without metrics.
func TestNewFailsOnMetricRegistration(t *testing.T) {
	ns := newFixture(t).nats
	reg := prometheus.NewRegistry()
	set := Settings{MasterKey: testKey, NATS: natsrv.Fixed(ns.Connect(t)), Registerer: reg}
	if _, err := New(NewDefaultConfig(), set); err != nil {
		t.Fatalf("first New: %v", err)
	}
	_, err := New(NewDefaultConfig(), set)
	var are prometheus.AlreadyRegisteredError
	if !errors.As(err, &are) || !strings.Contains(err.Error(), "bridge_mgmt_") {
		t.Fatalf("second New: %v, want an AlreadyRegisteredError naming the metric", err)
	}
}
