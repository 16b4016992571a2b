// Package seal encrypts small secrets at rest with AES-256-GCM.
//
// The key used is derived with HKDF-SHA256 from the bridge's 32-byte master
// key, so the master key itself never touches a cipher and other parts of the
// bridge can derive their own keys from it. Every sealed value carries a
// version prefix, a random 96-bit nonce and is bound to additional data (the
// record's key), so a value copied onto another record does not open.
package seal

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/popinbridge/bridge/internal/keyderive"
)

const prefix = "v1:"

// ErrOpen means a sealed value could not be decrypted: wrong master key,
// tampering, or a value that belongs to another record.
var ErrOpen = errors.New("seal: cannot decrypt (wrong master key or tampered value)")

// Box seals and opens values. It is safe for concurrent use.
type Box struct {
	aead cipher.AEAD
}

// New derives the sealing key from a 32-byte master key. The HKDF labels
// keep the package's former path (forwarder/mgmt): they are part of every
// sealed value already stored, so they never change.
func New(masterKey []byte) (*Box, error) {
	aead, err := keyderive.AEAD(masterKey, "bridge/forwarder/mgmt/seal/v1")
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plaintext bound to aad and returns printable text.
func (b *Box) Seal(plaintext, aad []byte) string {
	nonce := make([]byte, b.aead.NonceSize())
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails (Go 1.24+)
	out := b.aead.Seal(nonce, nonce, plaintext, aad)
	return prefix + base64.RawStdEncoding.EncodeToString(out)
}

// Open decrypts a value made by Seal with the same aad.
func (b *Box) Open(sealed string, aad []byte) ([]byte, error) {
	rest, ok := strings.CutPrefix(sealed, prefix)
	if !ok {
		return nil, fmt.Errorf("seal: unknown format: %w", ErrOpen)
	}
	raw, err := base64.RawStdEncoding.DecodeString(rest)
	if err != nil || len(raw) < b.aead.NonceSize() {
		return nil, fmt.Errorf("seal: malformed value: %w", ErrOpen)
	}
	n := b.aead.NonceSize()
	pt, err := b.aead.Open(nil, raw[:n], raw[n:], aad)
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// Digest returns a keyed hash (HMAC-SHA256 under a key derived from the
// master key) of b, printable. Used to notice changes of declared config
// without storing a plain hash of values that contain secrets.
func Digest(masterKey, b []byte) string {
	k, _ := hkdf.Key(sha256.New, masterKey, nil, "bridge/forwarder/mgmt/digest/v1", 32)
	m := hmac.New(sha256.New, k)
	m.Write(b)
	return base64.RawStdEncoding.EncodeToString(m.Sum(nil))
}
