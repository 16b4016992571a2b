package erasure_test

import (
	"os"
	"testing"

	"github.com/popinbridge/bridge/internal/chtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	chtest.StopShared()
	os.Exit(code)
}
