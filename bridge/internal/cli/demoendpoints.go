package cli

import "github.com/popinbridge/bridge/bridge/internal/config"

// demoWebhookSecret is the inspector endpoint's signing secret ("" until the
// forwarder is configured by the demo).
func demoWebhookSecret(cfg *config.Config) string { return "" }
