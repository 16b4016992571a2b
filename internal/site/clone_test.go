package site

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/popinbridge/bridge/internal/consent"
)

// Decoding a PATCH into a clone leaves the original as it was, for every
// field that refers to shared memory.
func TestCloneIsDeep(t *testing.T) {
	days := func(n int) *int { return &n }
	orig := Site{ID: "acme", WriteKey: "pk", Origins: []string{"https://a.example"},
		Retention:      Retention{EventsDays: days(30), DeliveriesDays: days(7), DeliveryBodiesDays: days(1)},
		LimitedDataUse: &consent.LimitedDataUse{Country: 1, State: 1000}}
	before, _ := json.Marshal(orig)
	c := orig.Clone()
	patch := `{"origins":["https://b.example"],"retention":{"events_days":1,"deliveries_days":2,"delivery_bodies_days":3},"limited_data_use":{"country":0,"state":0}}`
	if err := json.Unmarshal([]byte(patch), &c); err != nil {
		t.Fatal(err)
	}
	c.Origins[0] = "https://c.example"
	if after, _ := json.Marshal(orig); string(after) != string(before) {
		t.Fatalf("original changed through its clone:\n%s\n%s", before, after)
	}
	if got, _ := json.Marshal(c); string(got) == string(before) {
		t.Fatal("the clone did not take the patch (the test would prove nothing)")
	}
}

// Clone copies these by hand; a new pointer, slice or map field must be
// added to Clone and to this list.
func TestCloneKnowsEveryReference(t *testing.T) {
	known := []string{"Origins", "Retention.EventsDays", "Retention.DeliveriesDays", "Retention.DeliveryBodiesDays", "LimitedDataUse"}
	var found []string
	var walk func(reflect.Type, string)
	walk = func(ty reflect.Type, prefix string) {
		for i := range ty.NumField() {
			f := ty.Field(i)
			switch f.Type.Kind() {
			case reflect.Pointer, reflect.Slice, reflect.Map:
				found = append(found, prefix+f.Name)
			case reflect.Struct:
				walk(f.Type, prefix+f.Name+".")
			}
		}
	}
	walk(reflect.TypeOf(Site{}), "")
	slices.Sort(found)
	slices.Sort(known)
	if !slices.Equal(found, known) {
		t.Fatalf("Site's reference fields %v, Clone copies %v", found, known)
	}
}
