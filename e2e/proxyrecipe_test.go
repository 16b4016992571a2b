package e2e

// Real reverse proxies (nginx, Caddy) running the first-party recipes of
// widget-sdk/README.md, unprivileged on random loopback ports. The config
// is the README's fenced block with only the listen address, server name,
// upstream port and "# ... the site itself" replaced, so the README cannot
// drift from what is tested.

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// needBinary returns the path of name; a missing binary skips the test, or
// fails it under CI=true (scripts/deps.sh installs it).
func needBinary(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		p = "/usr/sbin/" + name // root's PATH may lack sbin
		if _, err := os.Stat(p); err != nil {
			why := fmt.Sprintf("%s not found (Debian package %s; scripts/deps.sh installs it)", name, pkg)
			if os.Getenv("CI") == "true" {
				t.Fatal(why + "; required under CI=true")
			}
			t.Skip(why)
		}
	}
	return p
}

// readmeBlock is the fenced code block of widget-sdk/README.md that follows
// the line starting with intro and opens with "```"+lang.
func readmeBlock(t *testing.T, intro, lang string) string {
	t.Helper()
	readme, err := os.ReadFile("../widget-sdk/README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "\n"+intro)
	if !ok {
		t.Fatalf("widget-sdk/README.md has no line starting with %q", intro)
	}
	_, rest, ok1 := strings.Cut(rest, "\n```"+lang+"\n")
	block, _, ok2 := strings.Cut(rest, "\n```\n")
	if !ok1 || !ok2 {
		t.Fatalf("widget-sdk/README.md has no ```%s block after %q", lang, intro)
	}
	return block + "\n"
}

// substitute replaces each old (which must occur exactly once: the
// README's recipe still has the line the test adapts) with its new.
func substitute(t *testing.T, block string, pairs ...string) string {
	t.Helper()
	for i := 0; i < len(pairs); i += 2 {
		if n := strings.Count(block, pairs[i]); n != 1 {
			t.Fatalf("the README's recipe has %q %d times, want once:\n%s", pairs[i], n, block)
		}
		block = strings.Replace(block, pairs[i], pairs[i+1], 1)
	}
	return block
}

// relay is the bridge as the proxies see it: a TCP relay on 127.0.0.1 that
// reaches the bridge from 127.0.0.2, so the bridge's peer address differs
// from the browser's (127.0.0.1) and the stored client IP shows whether it
// came from X-Forwarded-For. It records the HTTP request lines the bridge
// received (GET /sdk.js HTTP/1.1), to check that the prefix was stripped.
type relay struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []*bytes.Buffer
}

var requestLine = regexp.MustCompile(`(?m)^(GET|POST|OPTIONS|HEAD) (\S+) HTTP/1\.[01]\r$`)

func startRelay(t *testing.T, bridgeAddr string) *relay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{ln: ln}
	var wg sync.WaitGroup
	t.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}, Timeout: 5 * time.Second}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := dialer.Dial("tcp", bridgeAddr)
			if err != nil {
				_ = in.Close()
				continue
			}
			rec := &capped{max: 64 << 10}
			r.mu.Lock()
			r.conns = append(r.conns, &rec.buf)
			r.mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				done := make(chan struct{})
				go func() { _, _ = io.Copy(in, out); _ = in.Close(); close(done) }()
				_, _ = io.Copy(io.MultiWriter(out, &lockedWriter{mu: &r.mu, w: rec}), in)
				_ = out.Close()
				<-done
			}()
		}
	}()
	return r
}

func (r *relay) addr() string { return r.ln.Addr().String() }
func (r *relay) port() string { _, p, _ := net.SplitHostPort(r.addr()); return p }

// requests lists "METHOD path" of every request the bridge received.
func (r *relay) requests() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var l []string
	for _, b := range r.conns {
		for _, m := range requestLine.FindAllStringSubmatch(b.String(), -1) {
			l = append(l, m[1]+" "+m[2])
		}
	}
	return l
}

// capped keeps the first max bytes written to it.
type capped struct {
	buf bytes.Buffer
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.buf.Len(); room > 0 {
		c.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// proxyProc is a running nginx or Caddy serving http://addr.
type proxyProc struct {
	addr string
	out  *bytes.Buffer
}

// runProxy starts cmd, stops it when the test ends and waits until addr
// answers; its output is logged when the test fails.
func runProxy(t *testing.T, name, addr string, cmd *exec.Cmd) *proxyProc {
	t.Helper()
	out := &bytes.Buffer{}
	w := &lockedWriter{mu: &sync.Mutex{}, w: out}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt) // nginx: fast shutdown (SIGINT); Caddy: graceful stop
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			w.mu.Lock()
			t.Logf("%s output:\n%s", name, out.String())
			w.mu.Unlock()
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not listen on %s: %v", name, addr, err)
		}
		select { // poll again soon, or stop at once when the proxy exited
		case <-exited:
			w.mu.Lock()
			defer w.mu.Unlock()
			t.Fatalf("%s exited at start:\n%s", name, out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	return &proxyProc{addr: addr, out: out}
}

// startNginx runs the README's nginx recipe on a random port: requests
// under /t/pb/ go to upstream (the relay), the rest to site.
func startNginx(t *testing.T, upstreamPort, site string) *proxyProc {
	t.Helper()
	bin := needBinary(t, "nginx", "nginx-light")
	dir := t.TempDir()
	addr := freeAddr(t)
	recipe := substitute(t, readmeBlock(t, "nginx (`map` in the `http` block)", "nginx"),
		"server_name www.site.com;", "listen "+addr+";\n    server_name 127.0.0.1;",
		"http://127.0.0.1:8080/", "http://127.0.0.1:"+upstreamPort+"/",
		"# ... the site itself", "location / { proxy_pass "+site+"; }",
	)
	var temps strings.Builder
	for _, d := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		fmt.Fprintf(&temps, "    %s_temp_path %s;\n", d, filepath.Join(dir, d))
	}
	conf := fmt.Sprintf("worker_processes 1;\nevents { worker_connections 64; }\nhttp {\n    access_log off;\n%s\n%s}\n", temps.String(), recipe)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-e", "stderr", "-p", dir, "-c", confPath,
		"-g", fmt.Sprintf("daemon off; master_process off; pid %s; error_log stderr;", filepath.Join(dir, "nginx.pid")))
	return runProxy(t, "nginx", addr, cmd)
}

// startCaddy runs the README's Caddy recipe on a random port, without
// the admin endpoint or automatic HTTPS.
func startCaddy(t *testing.T, upstreamPort, site string) *proxyProc {
	t.Helper()
	bin := needBinary(t, "caddy", "caddy")
	dir := t.TempDir()
	addr := freeAddr(t)
	recipe := substitute(t, readmeBlock(t, "Caddy (WebSockets and `X-Forwarded-For`", "caddyfile"),
		"www.site.com {", "http://"+addr+" {",
		"reverse_proxy 127.0.0.1:8080", "reverse_proxy 127.0.0.1:"+upstreamPort,
		"# ... the site itself", "handle {\n        reverse_proxy "+strings.TrimPrefix(site, "http://")+"\n    }",
	)
	conf := "{\n    admin off\n    auto_https off\n}\n\n" + recipe
	confPath := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "run", "--config", confPath, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	return runProxy(t, "caddy", addr, cmd)
}
