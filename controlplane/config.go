package controlplane

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"time"

	"github.com/popinbridge/bridge/internal/signing"
)

var bucketPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// Config is the management API's section of the bridge configuration
// (key: controlplane).
type Config struct {
	// Bucket is the JetStream KV bucket holding sites, endpoints and their
	// sealed credentials; every node of a cluster shares it.
	Bucket string `yaml:"bucket"`
	// Replicas of the bucket; 0 (the default) follows event_log.replicas
	// (3 on a JetStream cluster of three or more servers, else 1).
	Replicas int `yaml:"replicas"`
	// DisableAfter disables an endpoint whose attempts have all failed for
	// this long (Svix: 5 days). A 410 answer disables at once.
	DisableAfter time.Duration `yaml:"disable_after"`
	// FailingAfter sends endpoint.failing once a run of failures is this old.
	FailingAfter time.Duration `yaml:"failing_after"`
	// RotationOverlap is how long a rotated-out secret keeps signing when the
	// rotate request names no overlap; MaxRotationOverlap bounds requests.
	RotationOverlap    time.Duration `yaml:"rotation_overlap"`
	MaxRotationOverlap time.Duration `yaml:"max_rotation_overlap"`
	// LifecycleQueue bounds the attempts waiting for the lifecycle (failure
	// tracking, auto-disable); more are dropped and counted in
	// bridge_mgmt_lifecycle_dropped_total.
	LifecycleQueue int `yaml:"lifecycle_queue"`
	// MaxReplayEvents bounds one replay or retry-failed request.
	MaxReplayEvents int `yaml:"max_replay_events"`
	// OpsWebhook receives operational events (endpoint.failing,
	// endpoint.disabled, message.attempt.exhausted), signed the Standard
	// Webhooks way. Empty URL: the events are only logged.
	OpsWebhook OpsWebhookConfig `yaml:"ops_webhook"`
}

// OpsWebhookConfig is where operational events go.
type OpsWebhookConfig struct {
	URL     string        `yaml:"url"`
	Secret  string        `yaml:"secret"` // whsec_…; required with url
	Timeout time.Duration `yaml:"timeout"`
	// QueueSize bounds waiting notifications; more are dropped and counted
	// in bridge_mgmt_ops_notifications_dropped_total.
	QueueSize int `yaml:"queue_size"`
	// ExhaustedWindow aggregates message.attempt.exhausted: at most one
	// event (logged, and sent when url is set) per endpoint per window,
	// carrying the count of dead deliveries and a sample of them.
	ExhaustedWindow time.Duration `yaml:"exhausted_window"`
}

// NewDefaultConfig returns the defaults.
func NewDefaultConfig() Config {
	return Config{
		Bucket:             "bridge_mgmt",
		DisableAfter:       5 * 24 * time.Hour,
		FailingAfter:       time.Hour,
		RotationOverlap:    24 * time.Hour,
		MaxRotationOverlap: 7 * 24 * time.Hour,
		LifecycleQueue:     4096,
		MaxReplayEvents:    10000,
		OpsWebhook:         OpsWebhookConfig{Timeout: 10 * time.Second, QueueSize: 256, ExhaustedWindow: time.Minute},
	}
}

// Validate reports every problem at once, each naming its key.
func (c *Config) Validate() error {
	var errs []error
	if !bucketPattern.MatchString(c.Bucket) {
		errs = append(errs, fmt.Errorf("bucket: %q must be letters, digits, '-' or '_'", c.Bucket))
	}
	if c.Replicas < 0 || c.Replicas > 5 {
		errs = append(errs, fmt.Errorf("replicas: %d is not between 0 (follow event_log.replicas) and 5", c.Replicas))
	}
	if c.DisableAfter <= 0 {
		errs = append(errs, errors.New("disable_after: must be positive"))
	}
	if c.FailingAfter <= 0 {
		errs = append(errs, errors.New("failing_after: must be positive"))
	}
	if c.RotationOverlap < 0 || c.RotationOverlap > c.MaxRotationOverlap {
		errs = append(errs, fmt.Errorf("rotation_overlap: %s is not between 0 and max_rotation_overlap (%s)", c.RotationOverlap, c.MaxRotationOverlap))
	}
	if c.LifecycleQueue < 1 || c.LifecycleQueue > 1<<20 {
		errs = append(errs, fmt.Errorf("lifecycle_queue: %d is not between 1 and 1048576", c.LifecycleQueue))
	}
	if c.MaxReplayEvents < 1 {
		errs = append(errs, errors.New("max_replay_events: must be at least 1"))
	}
	o := c.OpsWebhook
	if o.URL != "" {
		if u, err := url.Parse(o.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("ops_webhook.url: %q is not an absolute http(s) URL", o.URL))
		}
		if _, err := signing.ParseSecret(o.Secret); err != nil {
			errs = append(errs, fmt.Errorf("ops_webhook.secret: %w", err))
		}
	}
	if o.Timeout <= 0 {
		errs = append(errs, errors.New("ops_webhook.timeout: must be positive"))
	}
	if o.QueueSize < 1 {
		errs = append(errs, errors.New("ops_webhook.queue_size: must be at least 1"))
	}
	if o.ExhaustedWindow < time.Second || o.ExhaustedWindow > 24*time.Hour {
		errs = append(errs, fmt.Errorf("ops_webhook.exhausted_window: %s is not between 1s and 24h", o.ExhaustedWindow))
	}
	return errors.Join(errs...)
}
