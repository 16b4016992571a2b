package natsrv

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Config says where the process's NATS is. The bridge reads it from the
// `event_log:` section (keys `dir` and `url`), where users have always set
// them.
type Config struct {
	// Dir is where the embedded NATS server keeps its JetStream files. The
	// bridge passes <data_dir>/log when neither Dir nor URL is set. Ignored
	// when URL is set.
	Dir string `yaml:"dir"`
	// URL selects external NATS servers instead of the embedded one: one URL
	// or a comma-separated list, as NATS clients accept (a URL without a
	// scheme means nats://). Those servers MUST run JetStream with
	// `sync_interval: always`, otherwise an acked append may be lost in a
	// power failure.
	URL string `yaml:"url"`
	// Replicas is how many servers hold a copy of every stream and KV
	// bucket the bridge creates (the log, the forwarder's queue and dead
	// letters, the control plane's store). 0 (the default) chooses: 3 when
	// the servers of URL form a JetStream cluster of three or more, else 1
	// (always 1 for the embedded server). Between 0 and 5.
	Replicas int `yaml:"replicas"`
}

// Embedded reports whether c selects the embedded server.
func (c Config) Embedded() bool { return c.URL == "" }

// Validate reports every problem of c, each naming its key (`dir`, `url`,
// `replicas`).
func (c Config) Validate() error {
	var errs []error
	if c.Dir == "" && c.URL == "" {
		errs = append(errs, errors.New("dir: required when url is empty"))
	}
	if c.Replicas < 0 || c.Replicas > 5 {
		errs = append(errs, fmt.Errorf("replicas: %d is not between 0 (auto) and 5", c.Replicas))
	}
	if c.Embedded() && c.Replicas > 1 {
		errs = append(errs, fmt.Errorf("replicas: %d needs external servers (url); the embedded server keeps one copy", c.Replicas))
	}
	if c.URL != "" {
		if _, err := serverURLs(c.URL); err != nil {
			errs = append(errs, fmt.Errorf("url: %w", err))
		}
	}
	return errors.Join(errs...)
}

// serverURLs splits a comma-separated server list the way NATS clients do
// (blank entries skipped, nats:// assumed) and checks each entry.
func serverURLs(list string) ([]string, error) {
	var out []string
	for _, raw := range strings.Split(list, ",") {
		s := strings.TrimSpace(raw)
		if s == "" {
			continue
		}
		full := s
		if !strings.Contains(s, "://") {
			full = "nats://" + s
		}
		u, err := url.Parse(full)
		if err != nil {
			return nil, fmt.Errorf("%q is not a URL", s)
		}
		switch u.Scheme {
		case "nats", "tls", "ws", "wss":
		default:
			return nil, fmt.Errorf("%q: scheme %q is not one of nats, tls, ws, wss", s, u.Scheme)
		}
		if u.Hostname() == "" {
			return nil, fmt.Errorf("%q has no host", s)
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%q names no server", list)
	}
	return out, nil
}
