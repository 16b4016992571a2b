// Package chlocal runs a private clickhouse-server process: its own
// directory, loopback-only ports, a minimal configuration. Tests use it
// through internal/chtest; `bridge demo` uses it when no ClickHouse is
// reachable.
package chlocal

import (
	"context"
	"encoding/xml"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Server is one running clickhouse-server process.
type Server struct {
	Dir      string
	TCPPort  int
	HTTPPort int
	// TLSPort is the secure native port (tcp_port_secure); 0 without TLS.
	TLSPort int
	// InterserverPort is where replicas fetch parts; 0 outside a cluster.
	InterserverPort int

	opts Options

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd's Wait returns
}

// Addr is the native-protocol address, "127.0.0.1:PORT".
func (s *Server) Addr() string { return fmt.Sprintf("127.0.0.1:%d", s.TCPPort) }

// TLSAddr is the secure native-protocol address; "" without TLS.
func (s *Server) TLSAddr() string {
	if s.TLSPort == 0 {
		return ""
	}
	return fmt.Sprintf("127.0.0.1:%d", s.TLSPort)
}

// Options are the optional parts of a test server.
type Options struct {
	// TCPPort is the plain native port; 0 = any free one.
	TCPPort int
	// TLSCertFile and TLSKeyFile (PEM), when both set, open tcp_port_secure
	// on a free loopback port with this server certificate. Clients are
	// not asked for a certificate unless TLSClientCAFile is set.
	TLSCertFile, TLSKeyFile string
	// TLSClientCAFile (PEM) makes the secure port require a client
	// certificate signed by this CA (mutual TLS).
	TLSClientCAFile string
	// Users are extra users (name → plain-text password) beside the
	// password-less "default".
	Users map[string]string
	// Cluster makes the server a replica in a cluster (see StartCluster).
	Cluster *ClusterNode
}

// Binary finds clickhouse-server.
func Binary() (string, error) {
	for _, name := range []string{"clickhouse-server", "/usr/sbin/clickhouse-server", "clickhouse"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("clickhouse-server not found in PATH or /usr/sbin")
}

// Start starts a server whose data lives in dir, on a free loopback port,
// and waits until it answers.
func Start(dir string) (*Server, error) { return StartOnPort(dir, 0) }

// StartOnPort is Start with a chosen native-protocol port (0 = any free one).
func StartOnPort(dir string, tcp int) (*Server, error) {
	return StartWith(dir, Options{TCPPort: tcp})
}

// StartWith is Start with Options.
func StartWith(dir string, o Options) (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	tcp := o.TCPPort
	if tcp == 0 {
		if tcp, err = freePort(); err != nil {
			return nil, err
		}
	}
	httpPort, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{Dir: dir, TCPPort: tcp, HTTPPort: httpPort, opts: o}
	if (o.TLSCertFile == "") != (o.TLSKeyFile == "") {
		return nil, fmt.Errorf("chlocal: TLSCertFile and TLSKeyFile go together")
	}
	if o.TLSCertFile != "" {
		if s.TLSPort, err = freePort(); err != nil {
			return nil, err
		}
	}
	if o.Cluster != nil {
		if s.InterserverPort, err = freePort(); err != nil {
			return nil, err
		}
	}
	if err := s.writeConfig(); err != nil {
		return nil, err
	}
	if err := s.start(bin); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Server) start(bin string) error {
	args := []string{"--config-file=" + filepath.Join(s.Dir, "config.xml")}
	if filepath.Base(bin) == "clickhouse" {
		args = append([]string{"server"}, args...)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = s.Dir
	out, err := os.Create(filepath.Join(s.Dir, "stdout.log"))
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		out.Close()
		return fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); out.Close(); close(exited) }()
	s.mu.Lock()
	s.cmd, s.exited = cmd, exited
	s.mu.Unlock()
	if err := s.waitReady(60 * time.Second); err != nil {
		s.Stop()
		logs, _ := os.ReadFile(filepath.Join(s.Dir, "err.log"))
		return fmt.Errorf("clickhouse did not become ready: %w\n%s", err, tail(string(logs), 2000))
	}
	return nil
}

// Stop terminates the server (SIGTERM, then SIGKILL after 10s). Safe twice.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}
	// Wait until the port is free so a restart can reuse it.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", s.Addr(), 100*time.Millisecond)
		if err != nil {
			return
		}
		c.Close()
		time.Sleep(50 * time.Millisecond)
	}
}

// Restart starts a stopped server again on the same ports and data.
func (s *Server) Restart() error {
	bin, err := Binary()
	if err != nil {
		return err
	}
	return s.start(bin)
}

// Query runs SQL through clickhouse-client when present, else over HTTP.
// Meant for test setup and assertions, not for the code under test.
func (s *Server) Query(ctx context.Context, sql string) (string, error) {
	if bin, err := exec.LookPath("clickhouse-client"); err == nil {
		out, err := exec.CommandContext(ctx, bin, "--host", "127.0.0.1", "--port", fmt.Sprint(s.TCPPort), "--query", sql).CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("clickhouse-client: %w: %s", err, out)
		}
		return strings.TrimSpace(string(out)), nil
	}
	return "", fmt.Errorf("clickhouse-client not found")
}

func (s *Server) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", s.Addr(), 200*time.Millisecond)
		if err == nil {
			c.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, last = s.Query(ctx, "SELECT 1")
			cancel()
			if last == nil {
				return nil
			}
		} else {
			last = err
		}
		s.mu.Lock()
		cmd, done := s.cmd, s.exited
		s.mu.Unlock()
		exited := cmd == nil
		if !exited {
			select {
			case <-done:
				exited = true
			default:
			}
		}
		if exited {
			return fmt.Errorf("server exited: %v", last)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return last
}

func (s *Server) writeConfig() error {
	for _, d := range []string{"data", "tmp", "user_files", "format_schemas"} {
		if err := os.MkdirAll(filepath.Join(s.Dir, d), 0o755); err != nil {
			return err
		}
	}
	cfg := fmt.Sprintf(configXML, s.Dir, s.Dir, s.TCPPort, s.HTTPPort, s.tlsXML()+s.clusterXML(), s.Dir, s.Dir, s.Dir, s.Dir)
	if err := os.WriteFile(filepath.Join(s.Dir, "config.xml"), []byte(cfg), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(s.Dir, "users.xml"), []byte(fmt.Sprintf(usersXML, s.usersXML())), 0o644)
}

// tlsXML opens tcp_port_secure. 18.16 (Poco NetSSL on the system's
// OpenSSL) needs only the certificate and key: without dhParamsFile it
// uses its built-in DH parameters, and TLS 1.3 / ECDHE suites need none.
func (s *Server) tlsXML() string {
	if s.TLSPort == 0 {
		return ""
	}
	verify := "<verificationMode>none</verificationMode>"
	if s.opts.TLSClientCAFile != "" {
		verify = "<verificationMode>strict</verificationMode><caConfig>" + xmlEscape(s.opts.TLSClientCAFile) + "</caConfig>"
	}
	return fmt.Sprintf(`<tcp_port_secure>%d</tcp_port_secure>
  <openSSL><server>
    <certificateFile>%s</certificateFile><privateKeyFile>%s</privateKeyFile>
    %s<loadDefaultCAFile>false</loadDefaultCAFile>
    <cacheSessions>false</cacheSessions><disableProtocols>sslv2,sslv3,tlsv1,tlsv1_1</disableProtocols>
    <preferServerCiphers>true</preferServerCiphers>
  </server></openSSL>`, s.TLSPort, xmlEscape(s.opts.TLSCertFile), xmlEscape(s.opts.TLSKeyFile), verify)
}

func (s *Server) usersXML() string {
	names := make([]string, 0, len(s.opts.Users))
	for n := range s.opts.Users {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "<%s><password>%s</password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></%s>",
			n, xmlEscape(s.opts.Users[n]), n)
	}
	return b.String()
}

func xmlEscape(v string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(v))
	return b.String()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

const configXML = `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>%s/server.log</log><errorlog>%s/err.log</errorlog><size>100M</size><count>1</count></logger>
  <tcp_port>%d</tcp_port>
  <http_port>%d</http_port>
  %s
  <listen_host>127.0.0.1</listen_host>
  <path>%s/data/</path>
  <tmp_path>%s/tmp/</tmp_path>
  <user_files_path>%s/user_files/</user_files_path>
  <format_schema_path>%s/format_schemas/</format_schema_path>
  <users_config>users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <max_concurrent_queries>200</max_concurrent_queries>
  <mlock_executable>false</mlock_executable>
</yandex>
`

const usersXML = `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default>%s</users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`
