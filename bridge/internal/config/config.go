// Package config is the bridge's YAML configuration: one file, every key
// with a default, ${VAR} expanded from the environment, and Validate listing
// every problem at once.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/popinbridge/bridge/internal/site"
)

// Config is the whole bridge configuration (CONTRACT §3).
type Config struct {
	Listen string `yaml:"listen"`
	// AdminListen, when set, is the only listener serving /metrics,
	// /api/v1/ and /admin/; the public listener answers 404 for them.
	AdminListen string `yaml:"admin_listen"`
	DataDir     string `yaml:"data_dir"`
	AdminToken  string `yaml:"admin_token"`
	MasterKey   string `yaml:"master_key"`
	LogLevel    string `yaml:"log_level"`
	LogFormat   string `yaml:"log_format"`
	// Role is what this node runs: all, ingest or deliver (role.go).
	Role string `yaml:"role"`

	Components `yaml:",inline"`

	Sites []site.Site `yaml:"sites"`
}

// Default returns the configuration used when no file is given: a single
// development site whose pages may be served from this machine.
func Default() *Config {
	c := &Config{
		Listen:     "127.0.0.1:8080",
		DataDir:    "./data",
		LogLevel:   "info",
		LogFormat:  "text",
		Role:       RoleAll,
		Components: defaultComponents(),
	}
	return c
}

// DevSites are the sites used when neither the file nor the API defines any.
func DevSites(listen string) []site.Site {
	host, port, _ := net.SplitHostPort(listen)
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return []site.Site{{
		ID:          "demo",
		WriteKey:    "pk_demo",
		Origins:     []string{"http://" + net.JoinHostPort(host, port), "http://localhost:" + port, "http://127.0.0.1:" + port},
		PopinAPIKey: ".",
		PII:         site.PIIHash,
	}}
}

// Load reads a YAML file over the defaults. Unknown keys are errors.
func Load(path string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(raw)
}

// Parse decodes YAML (after ${VAR} expansion) over the defaults.
func Parse(raw []byte) (*Config, error) {
	c := Default()
	dec := yaml.NewDecoder(bytes.NewReader(expandEnv(raw)))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := c.resolveControlPlane(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := c.loadEndpointFiles(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	for i := range c.Sites {
		c.Sites[i].ApplyDefaults()
	}
	return c, nil
}

// Validate reports every problem at once, each naming its key.
func (c *Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("listen: %q: %w", c.Listen, err))
	}
	if c.AdminListen != "" {
		if _, port, err := net.SplitHostPort(c.AdminListen); err != nil {
			errs = append(errs, fmt.Errorf("admin_listen: %q: %w", c.AdminListen, err))
		} else if c.AdminListen == c.Listen && port != "0" {
			errs = append(errs, fmt.Errorf("admin_listen: %q is the same address as listen; leave it empty for one listener", c.AdminListen))
		}
	}
	if strings.TrimSpace(c.DataDir) == "" {
		errs = append(errs, errors.New("data_dir: required"))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log_level: %q is not one of debug, info, warn, error", c.LogLevel))
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("log_format: %q is not one of text, json", c.LogFormat))
	}
	if err := CheckRole(c.Role); err != nil {
		errs = append(errs, fmt.Errorf("role: %w", err))
	}
	if c.AdminToken != "" && len(c.AdminToken) < 16 {
		errs = append(errs, errors.New("admin_token: must be at least 16 characters"))
	}
	if c.MasterKey != "" {
		if err := checkMasterKey(c.MasterKey); err != nil {
			errs = append(errs, fmt.Errorf("master_key: %w", err))
		}
	}
	ids, keys := map[string]bool{}, map[string]bool{}
	for i := range c.Sites {
		s := &c.Sites[i]
		if err := s.Validate(); err != nil {
			errs = append(errs, prefixAll(fmt.Sprintf("sites[%d]", i), err))
		}
		if ids[s.ID] {
			errs = append(errs, fmt.Errorf("sites[%d].id: %q is used twice", i, s.ID))
		}
		if keys[s.WriteKey] && s.WriteKey != "" {
			errs = append(errs, fmt.Errorf("sites[%d].write_key: used by two sites", i))
		}
		ids[s.ID], keys[s.WriteKey] = true, true
	}
	errs = append(errs, c.Components.validate(ids)...)
	return errors.Join(errs...)
}

// prefixAll prefixes each joined error with where it was found, unless it
// already names its key in full (most sections' Validate do).
func prefixAll(prefix string, err error) error {
	one := func(e error) error {
		if strings.HasPrefix(e.Error(), prefix+".") {
			return e
		}
		return fmt.Errorf("%s.%w", prefix, e)
	}
	var out []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = append(out, one(e))
		}
		return errors.Join(out...)
	}
	return one(err)
}
