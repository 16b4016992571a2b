// Package keyderive turns the bridge's 32-byte master key into purpose-bound
// AES-256-GCM ciphers: HKDF-SHA256 with the purpose as info, so each use
// (sealed credentials, encrypted PII, …) has a key of its own.
package keyderive

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"fmt"
)

// AEAD derives the key for purpose from masterKey and returns its AES-256-GCM.
func AEAD(masterKey []byte, purpose string) (cipher.AEAD, error) {
	if len(masterKey) != 32 {
		return nil, fmt.Errorf("master key is %d bytes, want 32", len(masterKey))
	}
	k, err := hkdf.Key(sha256.New, masterKey, nil, purpose, 32)
	if err != nil {
		return nil, fmt.Errorf("derive key: %w", err)
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
