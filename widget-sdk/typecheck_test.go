package widgetsdk

import (
	"testing"

	"github.com/popinbridge/bridge/internal/testkit"
)

// TestSourcesTypeCheck: the SDK's TypeScript passes tsc --strict.
func TestSourcesTypeCheck(t *testing.T) { testkit.TypeCheck(t, "src/*.ts", "es2017") }
