package seal

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	b, err := New(key)
	if err != nil {
		t.Fatal(err)
	}
	s := b.Seal([]byte("whsec_top"), []byte("endpoint.crm"))
	if strings.Contains(s, "whsec_top") {
		t.Fatal("plaintext visible")
	}
	got, err := b.Open(s, []byte("endpoint.crm"))
	if err != nil || string(got) != "whsec_top" {
		t.Fatalf("open: %q %v", got, err)
	}
	if s2 := b.Seal([]byte("whsec_top"), []byte("endpoint.crm")); s2 == s {
		t.Fatal("nonce reused")
	}
	other, _ := New(bytes.Repeat([]byte{8}, 32))
	cases := map[string]func() error{
		"wrong aad": func() error { _, err := b.Open(s, []byte("endpoint.x")); return err },
		"wrong key": func() error { _, err := other.Open(s, []byte("endpoint.crm")); return err },
		"garbage":   func() error { _, err := b.Open("v1:!!", nil); return err },
		"no prefix": func() error { _, err := b.Open("abc", nil); return err },
		"tampered":  func() error { _, err := b.Open(s[:len(s)-2]+"AA", []byte("endpoint.crm")); return err },
	}
	for name, f := range cases {
		if err := f(); !errors.Is(err, ErrOpen) {
			t.Errorf("%s: got %v, want ErrOpen", name, err)
		}
	}
	if _, err := New([]byte("short")); err == nil {
		t.Fatal("short key accepted")
	}
}
