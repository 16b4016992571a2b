package bundle

import (
	"fmt"
	"sync"
)

// Cached returns a function that builds o on its first call and answers
// that one build's result, bytes or error, on every call: a package's
// embedded sources are bundled once per process. The bytes are shared:
// callers must not modify them. An error is prefixed with name.
func Cached(name string, o Options) func() ([]byte, error) {
	return sync.OnceValues(func() ([]byte, error) {
		js, err := Build(o)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return js, nil
	})
}
