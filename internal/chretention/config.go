package chretention

import (
	"errors"
	"fmt"
	"time"
)

// Config is the `retention:` section: the global retention per data class,
// in days (0: keep forever), and how often a pass runs.
type Config struct {
	EventsDays         int           `yaml:"events_days"`
	DeliveriesDays     int           `yaml:"deliveries_days"`
	DeliveryBodiesDays int           `yaml:"delivery_bodies_days"`
	Interval           time.Duration `yaml:"interval"`
}

// NewDefaultConfig keeps everything forever, checked hourly.
func NewDefaultConfig() Config { return Config{Interval: time.Hour} }

// Validate reports every problem at once, each naming its key.
func (c *Config) Validate() error {
	var errs []error
	for _, d := range []struct {
		key string
		v   int
	}{{"events_days", c.EventsDays}, {"deliveries_days", c.DeliveriesDays}, {"delivery_bodies_days", c.DeliveryBodiesDays}} {
		if d.v < 0 || d.v > 36500 {
			errs = append(errs, fmt.Errorf("retention.%s: %d must be between 0 (keep forever) and 36500", d.key, d.v))
		}
	}
	if c.Interval < time.Minute {
		errs = append(errs, fmt.Errorf("retention.interval: %v must be at least 1m", c.Interval))
	}
	return errors.Join(errs...)
}
