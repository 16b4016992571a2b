package signing

import (
	"net/http"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	svix "github.com/svix/svix-webhooks/go"
)

// The Standard Webhooks library's own test vector.
func TestGoldenVector(t *testing.T) {
	k, err := ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	if err != nil {
		t.Fatal(err)
	}
	got := Sign(k, "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Fatalf("got %s want %s", got, want)
	}
}

func TestParseSecret(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", true},
		{NewSecret(), true},
		{"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", false},
		{"whsec_", false},
		{"whsec_c2hvcnQ=", false}, // 5 bytes
		{"whsec_!!!", false},
		{"whsec_" + strings.Repeat("QUFB", 30), false}, // 90 bytes
	} {
		_, err := ParseSecret(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("ParseSecret(%q) err=%v want ok=%v", tc.in, err, tc.ok)
		}
	}
}

type verifier interface {
	Verify(payload []byte, headers http.Header) error
}

func verifiers(t *testing.T, secret string) map[string]verifier {
	t.Helper()
	sw, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	sv, err := svix.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]verifier{"standardwebhooks": sw, "svix": sv}
}

func TestIndependentVerifiers(t *testing.T) {
	oldS, newS, otherS := NewSecret(), NewSecret(), NewSecret()
	oldK, _ := ParseSecret(oldS)
	newK, _ := ParseSecret(newS)
	body := []byte(`{"id":"e1","type":"popin_captured","data":{"email":"a@b.c"}}`)
	now := time.Now()
	for _, tc := range []struct {
		name    string
		keys    []Key
		ts      time.Time
		body    []byte
		secret  string
		wantErr bool
	}{
		{"ok", []Key{newK}, now, body, newS, false},
		{"tampered body", []Key{newK}, now, []byte(`{"id":"e1","type":"popin_captured","data":{"email":"x@b.c"}}`), newS, true},
		{"stale timestamp", []Key{newK}, now.Add(-6 * time.Minute), body, newS, true},
		{"future timestamp", []Key{newK}, now.Add(6 * time.Minute), body, newS, true},
		{"wrong secret", []Key{newK}, now, body, otherS, true},
		{"rotation new", []Key{newK, oldK}, now, body, newS, false},
		{"rotation old", []Key{newK, oldK}, now, body, oldS, false},
		{"rotation other", []Key{newK, oldK}, now, body, otherS, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			SetHeaders(h, "evt_1", tc.ts, body, tc.keys...)
			if n := len(strings.Fields(h.Get(HeaderSignature))); n != len(tc.keys) {
				t.Fatalf("%d signatures, want %d", n, len(tc.keys))
			}
			for name, v := range verifiers(t, tc.secret) {
				err := v.Verify(tc.body, h)
				if (err != nil) != tc.wantErr {
					t.Errorf("%s: err=%v wantErr=%v", name, err, tc.wantErr)
				}
			}
		})
	}
}

func TestValidID(t *testing.T) {
	for id, want := range map[string]bool{
		"0b6f6c1e-7f3a-4d2b-9a51-3f0c2d4e5a6b": true,
		"msg_abc":                              true, "": false, "a.b": false, "a b": false, strings.Repeat("x", 257): false,
	} {
		if ValidID(id) != want {
			t.Errorf("ValidID(%q) != %v", id, want)
		}
	}
}

// A Signer gives Sign's value, also when reused, concurrently and for
// several keys.
func TestSignerMatchesSign(t *testing.T) {
	k1, _ := ParseSecret(NewSecret())
	k2, _ := ParseSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	s1, s2 := NewSigner(k1), NewSigner(k2)
	ts := time.Unix(1614265330, 0)
	for _, tc := range []struct {
		id   string
		body string
	}{
		{"msg_p5jXN8AQM9LWM0D4loKWxJek", `{"test": 2432232314}`},
		{"0b6f0000-0000-4000-8000-000000000001", ""},
		{strings.Repeat("x", 256), strings.Repeat(`{"a":"b"}`, 500)},
	} {
		for i := 0; i < 3; i++ { // pooled state reused
			if got, want := string(s2.AppendSign(nil, tc.id, ts, []byte(tc.body))), Sign(k2, tc.id, ts, []byte(tc.body)); got != want {
				t.Fatalf("AppendSign = %s want %s", got, want)
			}
			got := string(AppendSignatures([]byte("x"), tc.id, ts, []byte(tc.body), s1, nil, s2))
			if want := "x" + Signatures(tc.id, ts, []byte(tc.body), k1, nil, k2); got != want {
				t.Fatalf("AppendSignatures = %s want %s", got, want)
			}
		}
	}
	if got := string(s2.AppendSign(nil, "msg_p5jXN8AQM9LWM0D4loKWxJek", ts, []byte(`{"test": 2432232314}`))); got != "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" {
		t.Fatalf("golden vector: %s", got)
	}
	done := make(chan string, 8)
	for g := 0; g < 8; g++ {
		go func() {
			var bad string
			for i := 0; i < 200; i++ {
				id := "id" + strings.Repeat("z", i%7)
				if got, want := string(s1.AppendSign(nil, id, ts, []byte(id))), Sign(k1, id, ts, []byte(id)); got != want {
					bad = got
				}
			}
			done <- bad
		}()
	}
	for g := 0; g < 8; g++ {
		if bad := <-done; bad != "" {
			t.Fatalf("concurrent AppendSign gave %s", bad)
		}
	}
}
