package adminui_test

import (
	"testing"

	"github.com/popinbridge/bridge/internal/testkit"
)

// TestSourcesTypeCheck: the admin UI's TypeScript passes tsc --strict.
func TestSourcesTypeCheck(t *testing.T) { testkit.TypeCheck(t, "src/*.ts", "es2020") }
