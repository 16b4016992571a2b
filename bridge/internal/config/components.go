package config

import (
	"errors"
	"fmt"

	"github.com/popinbridge/bridge/collector/chsink"
	"github.com/popinbridge/bridge/collector/eventlog"
	"github.com/popinbridge/bridge/collector/ingest"
	"github.com/popinbridge/bridge/controlplane"
	"github.com/popinbridge/bridge/forwarder"
	"github.com/popinbridge/bridge/internal/chdb"
	"github.com/popinbridge/bridge/internal/chretention"
	"github.com/popinbridge/bridge/internal/consentstore"
	"github.com/popinbridge/bridge/internal/endpoint"
	"github.com/popinbridge/bridge/internal/natsrv"
	"github.com/popinbridge/bridge/internal/ssrf"
)

// Components holds each part's own configuration section. Each part owns its
// Config type, defaults and Validate; this file only composes them.
type Components struct {
	Ingest         ingest.Config `yaml:"ingest"`
	EventLog       EventLog      `yaml:"event_log"`
	ClickHouse     chdb.Config   `yaml:"clickhouse"`
	ClickHouseSink chsink.Config `yaml:"clickhouse_sink"`
	Forwarder      Forwarder     `yaml:"forwarder"`
	ControlPlane   ControlPlane  `yaml:"controlplane"`
	// ConsentStore remembers visitors' consent for webhooks to inherit.
	ConsentStore consentstore.Config `yaml:"consent_store"`
	// Retention is how long ClickHouse keeps each class of data.
	Retention chretention.Config `yaml:"retention"`
	// Endpoints are declared destinations, upserted into the management
	// store at startup (the API can add more).
	Endpoints []Endpoint `yaml:"endpoints"`
}

// EventLog is the `event_log:` section: where the process's NATS runs
// (`dir`, `url`: internal/natsrv, shared by every part that keeps state in
// JetStream) plus the log's own settings.
type EventLog struct {
	NATS            natsrv.Config `yaml:",inline"`
	eventlog.Config `yaml:",inline"`
}

// Forwarder is the `forwarder:` section: delivery settings, plus the
// control plane's section under its deprecated name.
type Forwarder struct {
	forwarder.Config `yaml:",inline"`
	// Deprecated: `controlplane:`; read, applied there, and warned about.
	Management legacyControlPlane `yaml:"management,omitempty"`
}

func defaultComponents() Components {
	return Components{
		Ingest:         ingest.NewDefaultConfig(),
		EventLog:       EventLog{Config: eventlog.NewDefaultConfig()},
		ClickHouse:     chdb.NewDefaultConfig(),
		ClickHouseSink: chsink.NewDefaultConfig(),
		Forwarder:      Forwarder{Config: forwarder.NewDefaultConfig()},
		ControlPlane:   ControlPlane{Config: controlplane.NewDefaultConfig()},
		ConsentStore:   consentstore.NewDefaultConfig(),
		Retention:      chretention.NewDefaultConfig(),
	}
}

func (c *Components) validate(siteIDs map[string]bool) []error {
	var errs []error
	add := func(section string, err error) {
		if err != nil {
			errs = append(errs, prefixAll(section, err))
		}
	}
	add("ingest", c.Ingest.Validate())
	// The embedded server's directory is derived from data_dir when unset.
	natsCfg := c.EventLog.NATS
	if natsCfg.Dir == "" && natsCfg.URL == "" {
		natsCfg.Dir = "derived-from-data_dir"
	}
	add("event_log", natsCfg.Validate())
	add("event_log", c.EventLog.Config.Validate())
	add("clickhouse", c.ClickHouse.Validate())
	add("clickhouse_sink", c.ClickHouseSink.Validate())
	add("forwarder", c.Forwarder.Config.Validate())
	add("controlplane", c.ControlPlane.Validate())
	add("consent_store", c.ConsentStore.Validate())
	add("retention", c.Retention.Validate())
	if guard, err := ssrf.New(c.Forwarder.AllowedPrivateTargets); err == nil {
		// The ops webhook dials through the same guard as deliveries.
		if u := c.ControlPlane.OpsWebhook.URL; u != "" {
			if err := guard.CheckURL(u); errors.Is(err, ssrf.ErrBlocked) {
				errs = append(errs, fmt.Errorf("controlplane.ops_webhook.url: %w", err))
			}
		}
		// Declarations may omit secrets and tokens: the control plane
		// generates them when it stores the endpoint.
		if err := endpoint.ValidateList(c.DeclaredEndpoints(), siteIDs, endpoint.Checks{Guard: guard, Declaration: true}); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}
