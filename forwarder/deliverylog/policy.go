package deliverylog

import (
	"github.com/popinbridge/bridge/forwarder/exporter"
	"github.com/popinbridge/bridge/internal/site"
)

// Policy is what the log keeps of an attempt's request and response.
type Policy struct {
	// MaxBodyBytes clips request and response bodies (max_logged_body_bytes).
	MaxBodyBytes int
	// RawBodies reports whether a request body carrying raw personal data
	// (exporter.Request.RawPII, a webhook's body) may be logged for a site;
	// nil: never.
	RawBodies func(siteID string) bool
}

// Fill sets r's request and response fields: the URL, the headers
// (credentials already redacted by the exporter) and both bodies clipped to
// MaxBodyBytes. A request body with raw personal data is left out unless r
// is a test send (r.Test: the body is sample data) or RawBodies(r.SiteID).
// Set r.SiteID and r.Test first.
func (p Policy) Fill(r *Record, req exporter.Request, response []byte) {
	r.RequestURL, r.RequestHeaders = req.URL, req.Headers
	r.ResponseBody = p.clip(response)
	if !req.RawPII || r.Test || p.RawBodies != nil && p.RawBodies(r.SiteID) {
		r.RequestBody = p.clip(req.Body)
	} else {
		r.RequestBody = ""
	}
}

func (p Policy) clip(b []byte) string {
	if len(b) > p.MaxBodyBytes {
		b = b[:p.MaxBodyBytes]
	}
	return string(b)
}

// RawPIISites is a Policy.RawBodies: the sites of reg whose PII policy is
// raw (their webhooks carry personal data as typed, so the log may too).
// A nil reg or an unknown site: false.
func RawPIISites(reg site.Registry) func(siteID string) bool {
	return func(siteID string) bool {
		if reg == nil {
			return false
		}
		s, ok := reg.ByID(siteID)
		return ok && s.PII == site.PIIRaw
	}
}
