package app

import (
	"testing"

	"github.com/popinbridge/bridge/internal/testkit"
)

func TestAppShutdownContract(t *testing.T) {
	testkit.CheckShutdown(t, func(t *testing.T) testkit.Part {
		a, err := New(testConfig(t), quietLogger(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		return a
	})
}

func TestHTTPServerShutdownContract(t *testing.T) {
	testkit.CheckShutdown(t, func(*testing.T) testkit.Part { return newHTTPServer("127.0.0.1:0", nil) })
}
