package popinhook

import "testing"

// TestEventIDCanonical: a webhook's id depends on what it says, not on its
// bytes: whitespace, member order and string escapes do not change it; any
// value does (issue 9.7).
func TestEventIDCanonical(t *testing.T) {
	const base = `{"event":"popin_call_end","user_id":"u1","properties":{"a":"x","b":[1,2]}}`
	tests := []struct {
		name, body string
		same       bool
	}{
		{"identical", base, true},
		{"whitespace", "{ \"event\" : \"popin_call_end\",\n\t\"user_id\":\"u1\", \"properties\": {\"a\": \"x\", \"b\": [1, 2]} }\n", true},
		{"member order", `{"properties":{"b":[1,2],"a":"x"},"user_id":"u1","event":"popin_call_end"}`, true},
		{"string escapes", `{"event":"popin_call_end","user_id":"\u0075\u0031","properties":{"a":"x","b":[1,2]}}`, true},
		{"repeated name, last kept", `{"event":"popin_call_end","user_id":"u0","user_id":"u1","properties":{"a":"x","b":[1,2]}}`, true},
		{"another value", `{"event":"popin_call_end","user_id":"u2","properties":{"a":"x","b":[1,2]}}`, false},
		{"array order", `{"event":"popin_call_end","user_id":"u1","properties":{"a":"x","b":[2,1]}}`, false},
		{"number as written", `{"event":"popin_call_end","user_id":"u1","properties":{"a":"x","b":[1.0,2]}}`, false},
		{"a member more", `{"event":"popin_call_end","user_id":"u1","properties":{"a":"x","b":[1,2],"c":null}}`, false},
	}
	want, err := Parse("acme", []byte(base), received)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := Parse("other-site", []byte(base), received)
	if other.ID == want.ID {
		t.Fatal("two sites got the same id")
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := Parse("acme", []byte(tc.body), received)
			if err != nil {
				t.Fatal(err)
			}
			if (ev.ID == want.ID) != tc.same {
				t.Fatalf("id %s, base %s, same %v", ev.ID, want.ID, tc.same)
			}
		})
	}
}
