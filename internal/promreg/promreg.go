// Package promreg registers a component's Prometheus collectors the one way
// bridge does it: errors are returned (a registration error is a startup
// error), never panics, and a nil Registerer means "not registered".
package promreg

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Register registers every collector in cs with reg, all or nothing: on the
// first error the collectors this call already registered are unregistered
// again and the error (naming the metric) is returned. A nil reg registers
// nothing and returns nil.
func Register(reg prometheus.Registerer, cs ...prometheus.Collector) error {
	if reg == nil {
		return nil
	}
	for i, c := range cs {
		if err := reg.Register(c); err != nil {
			for _, done := range cs[:i] {
				reg.Unregister(done)
			}
			return fmt.Errorf("registering %s: %w", name(c), err)
		}
	}
	return nil
}

// name is the fully-qualified name of c's first metric, for error messages.
func name(c prometheus.Collector) string {
	ch := make(chan *prometheus.Desc)
	go func() {
		c.Describe(ch)
		close(ch)
	}()
	n := "a collector with no metrics"
	first := true
	for d := range ch {
		if first {
			first = false
			if _, err := fmt.Sscanf(d.String(), "Desc{fqName: %q", &n); err != nil {
				n = d.String()
			}
		}
	}
	return n
}
