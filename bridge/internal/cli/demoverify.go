package cli

import (
	"errors"
	"net/http"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/popinbridge/bridge/bridge/internal/config"
	"github.com/popinbridge/bridge/bridge/internal/demo"
)

// demoVerifier checks inspector deliveries with the Standard Webhooks
// reference library — an implementation independent of the forwarder's.
func demoVerifier(cfg *config.Config) demo.Verifier {
	secret := demoWebhookSecret(cfg)
	if secret == "" {
		return nil
	}
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return func([]byte, http.Header) error { return err }
	}
	return func(body []byte, h http.Header) error {
		if err := wh.Verify(body, h); err != nil {
			return errors.New("does not verify with the endpoint secret")
		}
		return nil
	}
}
