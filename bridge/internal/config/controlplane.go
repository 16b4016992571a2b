package config

import (
	"errors"

	"github.com/popinbridge/bridge/controlplane"
)

// ControlPlane is the `controlplane:` section: the management API, its
// store, endpoint lifecycle and ops webhook (package controlplane).
type ControlPlane struct {
	controlplane.Config `yaml:",inline"`
	given               bool // the file has the section
}

// UnmarshalYAML records that the section was given. It takes the older
// callback form because yaml.v3 passes the decoder's KnownFields to it (and
// not to Node.Decode), so unknown keys stay errors.
func (c *ControlPlane) UnmarshalYAML(unmarshal func(any) error) error {
	c.given = true
	return unmarshal(&c.Config)
}

// legacyControlPlane is `forwarder.management:`, the deprecated name of
// `controlplane:`. It is read only: resolveControlPlane moves its values.
type legacyControlPlane struct {
	cfg   *controlplane.Config // values read, until moved
	given bool                 // the file has the section
}

// UnmarshalYAML reads the section over the control plane's defaults.
func (l *legacyControlPlane) UnmarshalYAML(unmarshal func(any) error) error {
	cfg := controlplane.NewDefaultConfig()
	if err := unmarshal(&cfg); err != nil {
		return err
	}
	l.cfg, l.given = &cfg, true
	return nil
}

// IsZero keeps the deprecated key out of rendered configurations.
func (legacyControlPlane) IsZero() bool { return true }

const legacyControlPlaneWarning = "forwarder.management: deprecated, use controlplane instead (its values were applied as controlplane)"

// resolveControlPlane applies `forwarder.management:` as `controlplane:`;
// giving both is an error.
func (c *Components) resolveControlPlane() error {
	old := c.Forwarder.Management.cfg
	if old == nil {
		return nil
	}
	if c.ControlPlane.given {
		return errors.New("controlplane and forwarder.management (its deprecated name) are both set; keep only controlplane")
	}
	c.ControlPlane.Config = *old
	c.Forwarder.Management.cfg = nil
	return nil
}
