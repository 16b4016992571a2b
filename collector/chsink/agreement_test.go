package chsink

import (
	"encoding/json"
	"testing"

	"github.com/popinbridge/bridge/collector/chsink/internal/pii"
	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/piinorm"
	"github.com/popinbridge/bridge/internal/piinorm/piinormtest"
	"github.com/popinbridge/bridge/internal/site"
)

// TestStoredHashesAgreeWithCAPI: under the hash policy the stored payload
// holds piinorm.Hash of each case's expected e-mail and phone ("" for
// none), which forwarder/internal/capi tests its user_data carries too
// (TestAgreesWithSink).
func TestStoredHashesAgreeWithCAPI(t *testing.T) {
	for _, c := range piinormtest.Cases {
		t.Run(c.Name, func(t *testing.T) {
			e := &event.Event{ID: "e1", Data: json.RawMessage(c.Data), Context: event.Context{Country: c.Seen}}
			var r rows
			if !r.add(e, site.PIIHash, c.Site, nil) {
				t.Fatalf("payload %s refused", c.Data)
			}
			views := make([]string, 1)
			r.data.views(views, 0)
			var stored any
			if err := json.Unmarshal([]byte(views[0]), &stored); err != nil {
				t.Fatalf("stored %q: %v", views[0], err)
			}
			got := map[pii.Kind][]string{}
			collect(stored, got)
			for _, k := range []struct {
				kind pii.Kind
				want string
			}{{pii.Phone, c.Phone}, {pii.Email, c.Email}} {
				vals := got[k.kind]
				if len(vals) > 1 {
					t.Fatalf("case holds %d members of kind %d", len(vals), k.kind)
				}
				if k.want == "" && len(vals) == 0 {
					continue
				}
				if len(vals) != 1 || vals[0] != piinorm.Hash(k.want) {
					t.Errorf("stored %v for kind %d, want hash of %q = %s", vals, k.kind, k.want, piinorm.Hash(k.want))
				}
			}
		})
	}
}

// collect records the string values of e-mail and phone members of v.
func collect(v any, into map[pii.Kind][]string) {
	switch v := v.(type) {
	case map[string]any:
		for name, val := range v {
			if k := pii.Classify(name); k == pii.Phone || k == pii.Email {
				s, _ := val.(string)
				into[k] = append(into[k], s)
				continue
			}
			collect(val, into)
		}
	case []any:
		for _, val := range v {
			collect(val, into)
		}
	}
}
