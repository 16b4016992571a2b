package controlplane

import (
	"context"
	"crypto/rand"
	"encoding/base64"

	"github.com/popinbridge/bridge/internal/signing"
	"github.com/popinbridge/bridge/internal/ssrf"
)

// NewURLChecker returns the create/update-time SSRF check used when
// Settings.CheckURL is nil: the forwarder's guard (http/https only, no user
// info, literal and "localhost" addresses must be public unless inside one
// of allowed, the CIDRs of forwarder.allowed_private_targets). Host names
// are checked again after DNS at every delivery by the forwarder's dialer.
func NewURLChecker(allowed []string) (func(ctx context.Context, rawURL string) error, error) {
	g, err := ssrf.New(allowed)
	if err != nil {
		return nil, err
	}
	return func(_ context.Context, raw string) error { return g.CheckURL(raw) }, nil
}

// newToken returns a fresh opaque token for bearer or api_key auth.
func newToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return "tok_" + base64.RawURLEncoding.EncodeToString(b)
}

// checkSecret reports whether s is a usable Standard Webhooks secret.
func checkSecret(s string) error {
	_, err := signing.ParseSecret(s)
	return err
}

// newSecret returns a fresh Standard Webhooks secret.
func newSecret() string { return signing.NewSecret() }
