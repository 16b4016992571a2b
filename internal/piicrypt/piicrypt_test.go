package piicrypt

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func TestSealOpen(t *testing.T) {
	box, err := New(key(1))
	if err != nil {
		t.Fatal(err)
	}
	other, _ := New(key(2))
	for _, v := range []string{"", "asha@example.com", "+91 98765 43210", "Ünïcödé ☎", strings.Repeat("x", 5000)} {
		s := box.Seal(v)
		if !IsSealed(s) || strings.Contains(s, v) && v != "" {
			t.Fatalf("sealed %q as %q", v, s)
		}
		if s2 := box.Seal(v); s2 == s {
			t.Errorf("two seals of %q are equal: nonce reused", v)
		}
		if got, err := box.Open(s); err != nil || got != v {
			t.Errorf("Open = %q, %v; want %q", got, err, v)
		}
		if _, err := other.Open(s); err == nil {
			t.Errorf("a different master key opened %q", v)
		}
	}
	for _, bad := range []string{"", "enc:v1:", "enc:v1:!!!", "enc:v1:AAAA", "plain"} {
		if _, err := box.Open(bad); err == nil {
			t.Errorf("Open(%q) succeeded", bad)
		}
	}
	if _, err := New(key(1)[:16]); err == nil {
		t.Error("a 16-byte master key was accepted")
	}
}

func TestOpenJSON(t *testing.T) {
	box, _ := New(key(7))
	other, _ := New(key(8))
	doc := `{"name":"` + box.Seal("Asha") + `","n":1.50,"list":["` + box.Seal("a@b.c") + `",true,null],` +
		`"deep":{"mobile":"` + box.Seal("9876543210") + `","x":"plain"},"stranger":"` + other.Seal("nope") + `"}`
	out, failed, err := box.OpenJSON([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"name":"Asha","n":1.50,"list":["a@b.c",true,null],"deep":{"mobile":"9876543210","x":"plain"},"stranger":"` + other.Seal("nope")[:0]
	if !strings.HasPrefix(string(out), want) || failed != 1 {
		t.Fatalf("OpenJSON = %s (failed %d)", out, failed)
	}
	if !json.Valid(out) {
		t.Fatalf("not JSON: %s", out)
	}
	plain := []byte(`{"a":"b"}`)
	if got, _, _ := box.OpenJSON(plain); !bytes.Equal(got, plain) {
		t.Errorf("a document without sealed values changed: %s", got)
	}
	if _, _, err := box.OpenJSON([]byte(`{"a":"` + box.Seal("x") + `"`)); err == nil {
		t.Error("truncated JSON opened without error")
	}
}
