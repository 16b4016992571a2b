package pii

import (
	"strings"
	"testing"

	"github.com/popinbridge/bridge/internal/piinorm"
	"github.com/popinbridge/bridge/internal/site"
)

// fakeSeal marks values so the test can see what was sealed.
func fakeSeal(v string) string { return "enc:" + strings.ToUpper(v) }

func TestEncryptPolicy(t *testing.T) {
	cases := []struct {
		name, in, want string
		seal           Sealer
	}{
		{"email phone and name sealed", `{"name":"Asha","email":"a@b.c","mobile":"98765","city":"Pune"}`,
			`{"name":"enc:ASHA","email":"enc:A@B.C","mobile":"enc:98765","city":"Pune"}`, fakeSeal},
		{"nested and numbers", `{"captured":{"full_name":"Jo","phone":98765},"x":1}`,
			`{"captured":{"full_name":"enc:JO","phone":"enc:98765"},"x":1}`, fakeSeal},
		{"no personal fields untouched", `{"uid":"u1","screen":"home"}`, `{"uid":"u1","screen":"home"}`, fakeSeal},
		{"without a sealer it is hash, never raw", `{"name":"Asha","email":"a@b.c"}`,
			`{"name":"Asha","email":"` + piinorm.Hash("a@b.c") + `"}`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ApplySealed([]byte(tc.in), site.PIIEncrypt, Region{Site: "IN"}, tc.seal)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			app, err := AppendApply(nil, []byte(tc.in), site.PIIEncrypt, Region{Site: "IN"}, tc.seal)
			if err != nil || string(app) != got {
				t.Errorf("AppendApply = %s, %v; ApplySealed = %s", app, err, got)
			}
		})
	}
}
