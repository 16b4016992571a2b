package consentstore

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"

	"github.com/popinbridge/bridge/internal/consent"
)

// Key is the bucket key of (site, uid): no uid in clear, the site as a
// prefix (SitePrefix).
func Key(siteID, uid string) string {
	h := sha256.New()
	h.Write([]byte(siteID))
	h.Write([]byte{0})
	h.Write([]byte(uid))
	return SitePrefix(siteID) + hex.EncodeToString(h.Sum(nil)[:16])
}

// SitePrefix is the prefix of every key of a site.
func SitePrefix(siteID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(siteID)) + "."
}

// encode writes a consent summary canonically ("" when it states nothing).
func encode(summary map[string]bool) string {
	var b strings.Builder
	for _, p := range consent.Purposes {
		v, ok := summary[p]
		if !ok {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(p)
		if v {
			b.WriteString("=1")
		} else {
			b.WriteString("=0")
		}
	}
	return b.String()
}

// decode reads encode's output; unknown or malformed parts are skipped.
func decode(s string) map[string]bool {
	var out map[string]bool
	for part := range strings.SplitSeq(s, ",") {
		p, v, ok := strings.Cut(part, "=")
		if !ok || !consent.Known(p) || (v != "0" && v != "1") {
			continue
		}
		if out == nil {
			out = make(map[string]bool, len(consent.Purposes))
		}
		out[p] = v == "1"
	}
	return out
}
