package config

import (
	"testing"
)

// FuzzParse: any file either fails Parse with an error or gives a config
// whose Validate returns (nil or the problems); nothing panics.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"listen: \"127.0.0.1:8080\"\n",
		"sites:\n  - {id: acme, write_key: pk_acme, origins: [\"https://www.acme.com\"]}\nendpoints:\n  - {id: crm, site: acme, url: \"https://crm.example.com/h\"}\n",
		"forwarder:\n  retry_schedule: [\"5s\", \"soon\"]\n  management: {replicas: 3}\n",
		"controlplane: {bucket: x}\nforwarder: {management: {bucket: y}}\n",
		"event_log: {url: \"nats://a:4222, nats://b:4222\"}\n",
		"endpoints:\n  - {id: m, site: s, type: facebook_capi, pixel_id: \"1\", access_token: t, previous_secret: x}\n",
		"admin_token: ${NOPE:-default-token-0123456789}\n",
		"{", "- a\n- b\n", "listen: [1, 2]\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := Parse([]byte(raw))
		if err != nil {
			return
		}
		_ = c.Validate()
		_ = c.Warnings()
	})
}
