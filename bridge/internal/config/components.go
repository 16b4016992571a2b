package config

import (
	"github.com/popinbridge/bridge/collector/chsink"
	"github.com/popinbridge/bridge/collector/eventlog"
	"github.com/popinbridge/bridge/collector/ingest"
	"github.com/popinbridge/bridge/internal/chdb"
)

// Components holds each part's own configuration section. Each part owns its
// Config type, defaults and Validate; this file only composes them.
type Components struct {
	Ingest         ingest.Config   `yaml:"ingest"`
	EventLog       eventlog.Config `yaml:"event_log"`
	ClickHouse     chdb.Config     `yaml:"clickhouse"`
	ClickHouseSink chsink.Config   `yaml:"clickhouse_sink"`
}

func defaultComponents() Components {
	return Components{
		Ingest:         ingest.NewDefaultConfig(),
		EventLog:       eventlog.NewDefaultConfig(),
		ClickHouse:     chdb.NewDefaultConfig(),
		ClickHouseSink: chsink.NewDefaultConfig(),
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
	// The log's directory is derived from data_dir when unset.
	logCfg := c.EventLog
	if logCfg.Dir == "" && logCfg.URL == "" {
		logCfg.Dir = "derived-from-data_dir"
	}
	add("event_log", logCfg.Validate())
	add("clickhouse", c.ClickHouse.Validate())
	add("clickhouse_sink", c.ClickHouseSink.Validate())
	return errs
}
