// Package signing signs outbound webhooks the Standard Webhooks way
// (https://www.standardwebhooks.com, spec 1.0.0, symmetric "v1" scheme).
//
// The signed content is "{webhook-id}.{webhook-timestamp}.{body}" with the
// raw body bytes exactly as sent; the signature is HMAC-SHA256 keyed with the
// base64-decoded secret, sent as "v1,<base64>". During a secret rotation the
// header carries one signature per active secret, space-separated; a verifier
// accepts the message if any of them matches.
package signing

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Header names of the Standard Webhooks spec.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// SecretPrefix starts every serialised symmetric secret.
const SecretPrefix = "whsec_"

// Secret key sizes allowed by the spec.
const (
	MinKeyBytes = 24
	MaxKeyBytes = 64
	// NewKeyBytes is the size of keys made by NewSecret.
	NewKeyBytes = 32
)

// ErrBadSecret is wrapped by ParseSecret's errors.
var ErrBadSecret = errors.New("bad webhook secret")

// Key is a decoded signing key. The zero Key signs nothing.
type Key []byte

// ParseSecret decodes "whsec_<base64>" into a key of 24 to 64 bytes.
func ParseSecret(s string) (Key, error) {
	rest, ok := strings.CutPrefix(s, SecretPrefix)
	if !ok {
		return nil, fmt.Errorf("%w: must start with %q", ErrBadSecret, SecretPrefix)
	}
	k, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		return nil, fmt.Errorf("%w: the part after %q is not standard base64", ErrBadSecret, SecretPrefix)
	}
	if len(k) < MinKeyBytes || len(k) > MaxKeyBytes {
		return nil, fmt.Errorf("%w: key is %d bytes, want %d to %d", ErrBadSecret, len(k), MinKeyBytes, MaxKeyBytes)
	}
	return Key(k), nil
}

// NewSecret returns a fresh random secret in its serialised "whsec_" form.
func NewSecret() string {
	b := make([]byte, NewKeyBytes)
	if _, err := rand.Read(b); err != nil {
		// crypto/rand never fails on supported platforms (Go 1.24+ crashes instead).
		panic(err)
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// ValidID reports whether id may be used as a webhook-id: non-empty, at most
// 256 bytes, no '.' (it separates the signed parts) and only printable ASCII.
func ValidID(id string) bool {
	if id == "" || len(id) > 256 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c == '.' || c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}

// Sign returns "v1,<base64 HMAC-SHA256(key, id.ts.body)>".
func Sign(key Key, id string, ts time.Time, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write(strconv.AppendInt(nil, ts.Unix(), 10))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Signatures returns the webhook-signature header value: one "v1," entry per
// key, space-separated, in the order given. Empty keys are skipped.
func Signatures(id string, ts time.Time, body []byte, keys ...Key) string {
	var b strings.Builder
	for _, k := range keys {
		if len(k) == 0 {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(Sign(k, id, ts, body))
	}
	return b.String()
}

// SetHeaders sets webhook-id, webhook-timestamp and webhook-signature on h.
// Call it once per attempt with a fresh ts: the id stays, the time and
// signature change.
func SetHeaders(h http.Header, id string, ts time.Time, body []byte, keys ...Key) {
	h.Set(HeaderID, id)
	h.Set(HeaderTimestamp, strconv.FormatInt(ts.Unix(), 10))
	h.Set(HeaderSignature, Signatures(id, ts, body, keys...))
}
