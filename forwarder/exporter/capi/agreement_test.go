package capi

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/popinbridge/bridge/internal/event"
	"github.com/popinbridge/bridge/internal/piinorm"
	"github.com/popinbridge/bridge/internal/piinorm/piinormtest"
)

// TestAgreesWithSink: user_data carries piinorm.Hash of each case's
// expected e-mail and phone, which collector/chsink tests it stores too
// (TestStoredHashesAgreeWithCAPI).
func TestAgreesWithSink(t *testing.T) {
	for _, c := range piinormtest.Cases {
		t.Run(c.Name, func(t *testing.T) {
			ev := &event.Event{ID: "e1", Data: json.RawMessage(c.Data), Context: event.Context{Country: c.Seen}}
			u := Build(ev, "Lead", c.Site).UserData
			if want := hashes(c.Phone); !slices.Equal(u.Ph, want) {
				t.Errorf("ph = %v, want %v (hash of %q)", u.Ph, want, c.Phone)
			}
			if want := hashes(c.Email); !slices.Equal(u.Em, want) {
				t.Errorf("em = %v, want %v (hash of %q)", u.Em, want, c.Email)
			}
		})
	}
}

func hashes(norm string) []string {
	if norm == "" {
		return nil
	}
	return []string{piinorm.Hash(norm)}
}
