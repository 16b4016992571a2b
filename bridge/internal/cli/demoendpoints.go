package cli

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"

	"github.com/popinbridge/bridge/bridge/internal/config"
	"github.com/popinbridge/bridge/internal/endpoint"
)

const demoInspectorID = "demo-inspector"

// configureDemo points a webhook endpoint at the local inspector and a
// Conversions API endpoint at the local sandbox (both on this listener, so
// loopback is allowed for them), and makes an admin token when none is set.
func configureDemo(cfg *config.Config) {
	if cfg.AdminToken == "" {
		cfg.AdminToken = "demo_" + randomHex(16)
	}
	if len(cfg.Endpoints) > 0 {
		return
	}
	cfg.Forwarder.AllowedPrivateTargets = append(cfg.Forwarder.AllowedPrivateTargets, "127.0.0.0/8", "::1/128")
	base := "http://" + cfg.Listen
	site := cfg.Sites[0].ID
	cfg.Endpoints = []config.Endpoint{
		{Endpoint: endpoint.Endpoint{
			ID: demoInspectorID, Site: site, Type: endpoint.TypeWebhook,
			URL: base + "/demo/inspector/hook", Events: []string{"*"},
			Auth: endpoint.AuthSignature, Secret: "whsec_" + base64.StdEncoding.EncodeToString(randomBytes(24)),
		}},
		{Endpoint: endpoint.Endpoint{
			ID: "demo-capi", Site: site, Type: endpoint.TypeFacebookCAPI,
			PixelID: "1234567890", AccessToken: "demo-access-token", GraphURL: base + "/demo/graph",
			TestEventCode: "TEST12345",
			Events:        []string{"popin_captured", "popin_schedule_created", "popin_call_end", "popin_call_successful"},
		}},
	}
}

// demoWebhookSecret is the inspector endpoint's signing secret.
func demoWebhookSecret(cfg *config.Config) string {
	for _, e := range cfg.Endpoints {
		if e.ID == demoInspectorID {
			return e.Secret
		}
	}
	return ""
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func randomHex(n int) string { return hex.EncodeToString(randomBytes(n)) }
