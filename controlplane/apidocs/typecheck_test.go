package apidocs

import (
	"testing"

	"github.com/popinbridge/bridge/internal/testkit"
)

// TestSourcesTypeCheck: the API reference's TypeScript passes tsc --strict.
func TestSourcesTypeCheck(t *testing.T) { testkit.TypeCheck(t, "src/*.ts", "es2020") }
