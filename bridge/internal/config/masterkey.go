package config

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// checkMasterKey accepts 32 bytes in standard or URL-safe base64.
func checkMasterKey(s string) error {
	_, err := DecodeMasterKey(s)
	return err
}

// DecodeMasterKey decodes a base64 master key of exactly 32 bytes.
func DecodeMasterKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != 32 {
				return nil, fmt.Errorf("decodes to %d bytes, want 32", len(b))
			}
			return b, nil
		}
	}
	return nil, errors.New("not base64 (want 32 random bytes, e.g. `openssl rand -base64 32`)")
}

// MasterKeyOrGenerate returns the configured key, or one stored in
// data_dir/master.key, generating it on first use. generated reports whether
// the file was used, so the caller can warn that a cluster must share one key.
func (c *Config) MasterKeyOrGenerate() (key []byte, fromFile bool, err error) {
	if c.MasterKey != "" {
		k, err := DecodeMasterKey(c.MasterKey)
		return k, false, err
	}
	path := filepath.Join(c.DataDir, "master.key")
	if b, err := os.ReadFile(path); err == nil {
		k, err := DecodeMasterKey(string(b))
		if err != nil {
			return nil, true, fmt.Errorf("%s: %w", path, err)
		}
		return k, true, nil
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, true, err
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return nil, true, err
	}
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(k)+"\n"), 0o600); err != nil {
		return nil, true, err
	}
	return k, true, nil
}
