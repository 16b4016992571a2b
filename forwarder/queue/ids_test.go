package queue

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

// DeliveryID is a stored identity (queue dedup, dead letters, delivery
// log): it must stay sha256(endpoint "\x00" event)[:12] in hex, "dlv_" first.
func TestDeliveryIDStable(t *testing.T) {
	for _, tc := range []struct{ ep, ev string }{
		{"crm", "0b6f0000-0000-4000-8000-000000000001"},
		{"", ""},
		{strings.Repeat("e", 64), strings.Repeat("v", 300)}, // beyond the stack buffer
	} {
		s := sha256.Sum256([]byte(tc.ep + "\x00" + tc.ev))
		if got, want := DeliveryID(tc.ep, tc.ev), "dlv_"+hex.EncodeToString(s[:12]); got != want {
			t.Errorf("DeliveryID(%q, %q) = %s want %s", tc.ep, tc.ev, got, want)
		}
	}
}
