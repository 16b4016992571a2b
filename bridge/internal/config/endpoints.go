package config

import (
	"errors"
	"fmt"
	"time"

	"github.com/popinbridge/bridge/internal/endpoint"
)

// Endpoint is one entry of `endpoints:`: the one endpoint model, plus keys
// older versions accepted and ignored.
type Endpoint struct {
	endpoint.Endpoint `yaml:",inline"`
	// Deprecated: rotated secrets are the control plane's (rotate through
	// the API); these were never applied and are ignored with a warning.
	PreviousSecret          string    `yaml:"previous_secret"`
	PreviousSecretExpiresAt time.Time `yaml:"previous_secret_expires_at"`
}

// DeclaredEndpoints returns the endpoints of the config file.
func (c *Components) DeclaredEndpoints() []endpoint.Endpoint {
	out := make([]endpoint.Endpoint, len(c.Endpoints))
	for i := range c.Endpoints {
		out[i] = c.Endpoints[i].Endpoint.Clone()
	}
	return out
}

// Warnings lists deprecated keys in use, each naming its place.
func (c *Components) Warnings() []string {
	var out []string
	if c.Forwarder.Management.given {
		out = append(out, legacyControlPlaneWarning)
	}
	for i, e := range c.Endpoints {
		if e.PreviousSecret != "" || !e.PreviousSecretExpiresAt.IsZero() {
			out = append(out, fmt.Sprintf("endpoints[%d].previous_secret: ignored (deprecated); rotate secrets with POST /api/v1/endpoints/{id}/rotate-secret", i))
		}
	}
	return out
}

// loadEndpointFiles reads the certificate files endpoints name
// (tls.cert_file, key_file, ca_file) into their PEM fields: the stored
// endpoint holds the PEM, so every node delivers alike. Errors name the
// key ("endpoints[0].tls.cert_file: …").
func (c *Components) loadEndpointFiles() error {
	var errs []error
	for i := range c.Endpoints {
		if err := c.Endpoints[i].TLS.LoadFiles(); err != nil {
			errs = append(errs, prefixAll(fmt.Sprintf("endpoints[%d]", i), err))
		}
	}
	return errors.Join(errs...)
}
