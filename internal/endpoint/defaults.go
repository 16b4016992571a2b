package endpoint

import "github.com/popinbridge/bridge/internal/consent"

// Defaults of unset fields.
const (
	DefaultAPIKeyHeader = "X-API-KEY"
	DefaultAPIVersion   = "v24.0"
	DefaultGraphURL     = "https://graph.facebook.com"
)

// ApplyDefaults fills unset fields: type webhook, status active, every
// event, auth signature, the api_key header, the Graph API version and URL.
// It never makes credentials (the control plane generates missing ones).
func (e *Endpoint) ApplyDefaults() {
	if e.Type == "" {
		e.Type = TypeWebhook
	}
	if e.Status == "" {
		e.Status = StatusActive
	}
	if len(e.Events) == 0 {
		e.Events = []string{"*"}
	}
	switch e.Type {
	case TypeWebhook:
		if e.Auth == "" {
			e.Auth = AuthSignature
		}
		if e.Auth == AuthAPIKey && e.APIKeyHeader == "" {
			e.APIKeyHeader = DefaultAPIKeyHeader
		}
	case TypeFacebookCAPI:
		if e.Consent == nil {
			e.Consent = []string{consent.Ads}
		}
		if e.APIVersion == "" {
			e.APIVersion = DefaultAPIVersion
		}
		if e.GraphURL == "" {
			e.GraphURL = DefaultGraphURL
		}
	case TypeHubSpot:
		if e.APIURL == "" {
			e.APIURL = DefaultHubSpotURL
		}
	}
	e.adPlatformDefaults()
}
