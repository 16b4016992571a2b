package deliverylog

import (
	"testing"

	"github.com/popinbridge/bridge/forwarder/exporter"
	"github.com/popinbridge/bridge/internal/site"
)

type sites map[string]*site.Site

func (s sites) ByID(id string) (*site.Site, bool)    { v, ok := s[id]; return v, ok }
func (s sites) ByWriteKey(string) (*site.Site, bool) { return nil, false }

func TestPolicyFill(t *testing.T) {
	reg := sites{"raw": {ID: "raw", PII: site.PIIRaw}, "hash": {ID: "hash", PII: site.PIIHash}}
	p := Policy{MaxBodyBytes: 4, RawBodies: RawPIISites(reg)}
	tests := []struct {
		name     string
		p        Policy
		site     string
		test     bool
		rawPII   bool
		wantReq  string
		wantResp string
	}{
		{"body without personal data, clipped", p, "hash", false, false, "abcd", "resp"},
		{"raw personal data, site pii hash: left out", p, "hash", false, true, "", "resp"},
		{"raw personal data, site pii raw", p, "raw", false, true, "abcd", "resp"},
		{"raw personal data, unknown site", p, "nope", false, true, "", "resp"},
		{"raw personal data, no sites", Policy{MaxBodyBytes: 4, RawBodies: RawPIISites(nil)}, "raw", false, true, "", "resp"},
		{"raw personal data, nil RawBodies", Policy{MaxBodyBytes: 4}, "raw", false, true, "", "resp"},
		{"test send logs the sample body", p, "hash", true, true, "abcd", "resp"},
		{"no body logged at 0 bytes", Policy{}, "raw", true, false, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hdr := map[string]string{"authorization": "[redacted]"}
			r := Record{SiteID: tc.site, Test: tc.test}
			tc.p.Fill(&r, exporter.Request{URL: "https://x.example/h", Headers: hdr, Body: []byte("abcdef"), RawPII: tc.rawPII},
				[]byte("response"))
			if r.RequestBody != tc.wantReq || r.ResponseBody != tc.wantResp {
				t.Errorf("request body %q response body %q, want %q and %q", r.RequestBody, r.ResponseBody, tc.wantReq, tc.wantResp)
			}
			if r.RequestURL != "https://x.example/h" || r.RequestHeaders["authorization"] != "[redacted]" {
				t.Errorf("url %q headers %v", r.RequestURL, r.RequestHeaders)
			}
		})
	}
}
