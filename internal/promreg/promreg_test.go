package promreg

import (
	"errors"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func counter(name string) prometheus.Counter {
	return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: "test"})
}

func TestRegister(t *testing.T) {
	tests := []struct {
		name string
		// before is registered first; then Register(reg, cs...) runs.
		before     []prometheus.Collector
		cs         []prometheus.Collector
		wantErr    string   // substring; "" for success
		registered []string // metric names gathered afterwards
	}{
		{"all registered", nil, []prometheus.Collector{counter("a_total"), counter("b_total")}, "", []string{"a_total", "b_total"}},
		{"none", nil, nil, "", nil},
		{"duplicate name in one call is all or nothing", nil,
			[]prometheus.Collector{counter("a_total"), counter("b_total"), counter("a_total")}, "registering a_total: ", nil},
		{"already registered elsewhere", []prometheus.Collector{counter("b_total")},
			[]prometheus.Collector{counter("a_total"), counter("b_total")}, "registering b_total: ", []string{"b_total"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			for _, c := range tc.before {
				reg.MustRegister(c)
			}
			err := Register(reg, tc.cs...)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("err %v, want %q", err, tc.wantErr)
			}
			for _, c := range tc.cs {
				if cc, ok := c.(prometheus.Counter); ok {
					cc.Inc() // counters only show up in Gather once they exist
				}
			}
			mfs, gerr := reg.Gather()
			if gerr != nil {
				t.Fatal(gerr)
			}
			var got []string
			for _, mf := range mfs {
				got = append(got, mf.GetName())
			}
			if strings.Join(got, ",") != strings.Join(tc.registered, ",") {
				t.Errorf("registered %v, want %v", got, tc.registered)
			}
		})
	}
}

func TestRegisterNilRegisterer(t *testing.T) {
	if err := Register(nil, counter("a_total"), counter("a_total")); err != nil {
		t.Fatalf("nil registerer: %v", err)
	}
}

func TestRegisterKeepsAlreadyRegisteredError(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(counter("a_total"))
	var are prometheus.AlreadyRegisteredError
	if err := Register(reg, counter("a_total")); !errors.As(err, &are) {
		t.Fatalf("err %v, want a wrapped AlreadyRegisteredError", err)
	}
}
