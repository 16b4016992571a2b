package config

import (
	"os"
	"regexp"
)

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}`)

// expandEnv replaces ${VAR} and ${VAR:-default} with the environment's value.
// A bare $ is left alone so that secrets containing '$' survive.
func expandEnv(b []byte) []byte {
	return envRef.ReplaceAllFunc(b, func(m []byte) []byte {
		g := envRef.FindSubmatch(m)
		if v, ok := os.LookupEnv(string(g[1])); ok && v != "" {
			return []byte(v)
		}
		return g[3]
	})
}
