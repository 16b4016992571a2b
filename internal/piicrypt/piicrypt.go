// Package piicrypt encrypts personal values stored in ClickHouse under the
// site policy `pii: encrypt`, so that replays can send them in full while
// analysts querying ClickHouse see only ciphertext.
//
// A sealed value is the string "enc:v1:" + base64url(nonce ‖ AES-256-GCM
// ciphertext). The key is derived from the bridge's master key with HKDF
// (SHA-256, info "bridge/pii/v1"), so it differs from the key that seals
// credentials. Every node of a cluster shares the master key and so can open
// what any node sealed.
package piicrypt

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/popinbridge/bridge/internal/keyderive"
)

// Prefix marks a sealed value.
const Prefix = "enc:v1:"

// ErrOpen means a sealed value could not be opened (wrong key or damaged).
var ErrOpen = errors.New("piicrypt: cannot open sealed value")

// Box seals and opens values. Safe for concurrent use.
type Box struct{ aead cipher.AEAD }

// New derives the PII key from a 32-byte master key.
func New(masterKey []byte) (*Box, error) {
	aead, err := keyderive.AEAD(masterKey, "bridge/pii/v1")
	if err != nil {
		return nil, fmt.Errorf("piicrypt: %w", err)
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts v with a fresh random nonce.
func (b *Box) Seal(v string) string {
	nonce := make([]byte, b.aead.NonceSize(), b.aead.NonceSize()+len(v)+b.aead.Overhead())
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails (Go ≥ 1.24)
	out := b.aead.Seal(nonce, nonce, []byte(v), []byte(Prefix))
	return Prefix + base64.RawURLEncoding.EncodeToString(out)
}

// IsSealed reports whether s looks like a sealed value.
func IsSealed(s string) bool { return strings.HasPrefix(s, Prefix) }

// Open decrypts a sealed value.
func (b *Box) Open(s string) (string, error) {
	if !IsSealed(s) {
		return "", ErrOpen
	}
	raw, err := base64.RawURLEncoding.DecodeString(s[len(Prefix):])
	ns := b.aead.NonceSize()
	if err != nil || len(raw) < ns+b.aead.Overhead() {
		return "", ErrOpen
	}
	plain, err := b.aead.Open(nil, raw[:ns], raw[ns:], []byte(Prefix))
	if err != nil {
		return "", ErrOpen
	}
	return string(plain), nil
}
