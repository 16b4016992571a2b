package e2e

import (
	"os"
	"testing"

	"github.com/popinbridge/bridge/internal/chtest"
)

func TestMain(m *testing.M) {
	if os.Getenv(wsBaselineEnv) != "" {
		serveWSBaseline() // a benchmark's baseline server, not a test run
		return
	}
	if hook := os.Getenv(lowRateFloorEnv); hook != "" {
		serveLowRateFloor(hook) // the low-rate benchmark's floor server
		return
	}
	code := m.Run()
	chtest.StopShared()
	os.Exit(code)
}
