package pii

import (
	"testing"

	"github.com/popinbridge/bridge/internal/piinorm"
	"github.com/popinbridge/bridge/internal/site"
)

// pii_names decides what is stored of name members on top of the pii
// policy: keep is the policy's own treatment, hash hashes names (unless the
// policy seals or drops them), drop removes them whatever the policy.
func TestApplyNames(t *testing.T) {
	email := piinorm.Hash("asha@example.com")
	asha, rao := piinorm.Hash("asha"), piinorm.Hash("asharao")
	seal := func(s string) string { return "sealed:" + s }
	in := `{"name":"Asha","email":"asha@example.com","properties":{"customer_name":"Asha Rao","first_name":""},"city":"Pune"}`
	tests := []struct {
		policy site.PIIPolicy
		names  string
		want   string
	}{
		{site.PIIHash, "", `{"name":"Asha","email":"` + email + `","properties":{"customer_name":"Asha Rao","first_name":""},"city":"Pune"}`},
		{site.PIIHash, site.PIINamesKeep, `{"name":"Asha","email":"` + email + `","properties":{"customer_name":"Asha Rao","first_name":""},"city":"Pune"}`},
		{site.PIIHash, site.PIINamesHash, `{"name":"` + asha + `","email":"` + email + `","properties":{"customer_name":"` + rao + `","first_name":""},"city":"Pune"}`},
		{site.PIIHash, site.PIINamesDrop, `{"email":"` + email + `","properties":{},"city":"Pune"}`},
		{site.PIIRaw, site.PIINamesKeep, `{"name":"Asha","email":"asha@example.com","properties":{"customer_name":"Asha Rao","first_name":""},"city":"Pune"}`},
		{site.PIIRaw, site.PIINamesHash, `{"name":"` + asha + `","email":"asha@example.com","properties":{"customer_name":"` + rao + `","first_name":""},"city":"Pune"}`},
		{site.PIIRaw, site.PIINamesDrop, `{"email":"asha@example.com","properties":{},"city":"Pune"}`},
		{site.PIIEncrypt, site.PIINamesHash, `{"name":"sealed:Asha","email":"sealed:asha@example.com","properties":{"customer_name":"sealed:Asha Rao","first_name":""},"city":"Pune"}`},
		{site.PIIEncrypt, site.PIINamesDrop, `{"email":"sealed:asha@example.com","properties":{},"city":"Pune"}`},
		{site.PIIDrop, site.PIINamesHash, `{"properties":{},"city":"Pune"}`},
	}
	for _, tt := range tests {
		t.Run(string(tt.policy)+"/"+tt.names, func(t *testing.T) {
			got, err := AppendApplyNames(nil, []byte(in), tt.policy, tt.names, Region{}, seal)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
	// Without names or other personal data the fast path stays in use.
	got, err := AppendApplyNames(nil, []byte(`{ "city": "Pune" }`), site.PIIRaw, site.PIINamesDrop, Region{}, nil)
	if err != nil || string(got) != `{"city":"Pune"}` {
		t.Fatalf("no names: %s %v", got, err)
	}
}
