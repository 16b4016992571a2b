package chdb

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"regexp"
	"time"
)

// Config is the `clickhouse:` section of the bridge configuration.
type Config struct {
	// Addr is the native-protocol address, host:port (default 127.0.0.1:9000).
	Addr string `yaml:"addr"`
	// Database holds the bridge's tables; Migrate creates it (default bridge).
	Database string `yaml:"database"`
	Username string `yaml:"username"` // default "default"
	Password string `yaml:"password"`
	// DialTimeout bounds connecting to the server (default 5s).
	DialTimeout time.Duration `yaml:"dial_timeout"`
	// ReadTimeout bounds waiting for one server answer (default 60s).
	ReadTimeout time.Duration `yaml:"read_timeout"`
	// MaxOpenConns caps the connection pool (default 8).
	MaxOpenConns int `yaml:"max_open_conns"`
	// Compression of native blocks on the wire: "lz4" (default) or "none".
	Compression string `yaml:"compression"`
	// TLS on the secure native port; off by default.
	TLS TLSConfig `yaml:"tls"`
	// Cluster, when set, names a cluster of the server's remote_servers:
	// migrations run ON CLUSTER and create ReplicatedReplacingMergeTree
	// tables (<table>_local, at /clickhouse/tables/{shard}/<database>/<table>_local,
	// replica {replica}: the servers need ZooKeeper and those macros) with a
	// Distributed table of the usual name over each; inserts through it are
	// synchronous (insert_distributed_sync). Empty (default): one server.
	Cluster string `yaml:"cluster"`
}

// LogValue keeps the password out of logs: it is never printed, only
// whether one is set.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("addr", c.Addr), slog.String("database", c.Database),
		slog.String("username", c.Username), slog.Bool("password_set", c.Password != ""),
		slog.Bool("tls", c.TLS.Enabled), slog.String("cluster", c.Cluster),
	)
}

// NewDefaultConfig returns the documented defaults.
func NewDefaultConfig() Config {
	return Config{
		Addr:         "127.0.0.1:9000",
		Database:     "bridge",
		Username:     "default",
		DialTimeout:  5 * time.Second,
		ReadTimeout:  60 * time.Second,
		MaxOpenConns: 8,
		Compression:  "lz4",
	}
}

var (
	identRe   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	clusterRe = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)
)

// Validate reports every problem at once, each naming its key.
func (c *Config) Validate() error {
	var errs []error
	if c.Addr == "" {
		errs = append(errs, errors.New("clickhouse.addr: required (host:port of the native protocol, e.g. 127.0.0.1:9000)"))
	} else if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
		errs = append(errs, fmt.Errorf("clickhouse.addr: %q is not host:port", c.Addr))
	}
	if !identRe.MatchString(c.Database) {
		errs = append(errs, fmt.Errorf("clickhouse.database: %q must be letters, digits and '_', not starting with a digit", c.Database))
	}
	if c.Username == "" {
		errs = append(errs, errors.New("clickhouse.username: required (ClickHouse's own default user is \"default\")"))
	}
	if c.DialTimeout <= 0 {
		errs = append(errs, fmt.Errorf("clickhouse.dial_timeout: %v must be positive", c.DialTimeout))
	}
	if c.ReadTimeout <= 0 {
		errs = append(errs, fmt.Errorf("clickhouse.read_timeout: %v must be positive", c.ReadTimeout))
	}
	if c.MaxOpenConns < 1 {
		errs = append(errs, fmt.Errorf("clickhouse.max_open_conns: %d must be at least 1", c.MaxOpenConns))
	}
	switch c.Compression {
	case "lz4", "none":
	default:
		errs = append(errs, fmt.Errorf("clickhouse.compression: %q is not one of lz4, none", c.Compression))
	}
	if c.Cluster != "" && !clusterRe.MatchString(c.Cluster) {
		errs = append(errs, fmt.Errorf("clickhouse.cluster: %q must be letters, digits, '_', '.' and '-' (a cluster name of the servers' remote_servers), or empty for one server", c.Cluster))
	}
	errs = append(errs, c.TLS.validate()...)
	return errors.Join(errs...)
}
