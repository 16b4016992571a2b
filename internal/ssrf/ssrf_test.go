package ssrf

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestCheckAddr(t *testing.T) {
	g, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	blockedAddrs := []string{
		"0.0.0.0", "0.1.2.3", "10.0.0.1", "10.255.255.255", "100.64.0.1", "100.127.255.254",
		"127.0.0.1", "127.255.0.1", "169.254.169.254", "172.16.0.1", "172.31.255.255",
		"192.0.0.8", "192.0.2.1", "192.88.99.1", "192.168.1.1", "198.18.0.1", "198.19.255.255",
		"198.51.100.7", "203.0.113.9", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
		"::", "::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::127.0.0.1",
		"64:ff9b::a00:1", "100::1", "2001::1", "2001:db8::1", "2002:7f00:1::", "3fff::1",
		"fc00::1", "fd00:ec2::254", "fe80::1", "fe80::1%eth0", "fec0::1", "ff02::1",
	}
	for _, s := range blockedAddrs {
		a := netip.MustParseAddr(s)
		err := g.CheckAddr(a)
		var be *BlockedError
		if !errors.As(err, &be) || !errors.Is(err, ErrBlocked) {
			t.Errorf("%s: want blocked, got %v", s, err)
		} else if !strings.Contains(err.Error(), "ssrf guard") {
			t.Errorf("%s: error %q does not name the guard", s, err)
		}
	}
	for _, s := range []string{"8.8.8.8", "1.1.1.1", "93.184.215.14", "100.128.0.1", "172.32.0.1", "198.20.0.1", "2606:4700::1111", "::ffff:8.8.8.8"} {
		if err := g.CheckAddr(netip.MustParseAddr(s)); err != nil {
			t.Errorf("%s: want allowed, got %v", s, err)
		}
	}
}

func TestAllowedPrivateTargets(t *testing.T) {
	g, err := New([]string{"127.0.0.0/8", "10.1.2.3", "fd00::/8"})
	if err != nil {
		t.Fatal(err)
	}
	for s, ok := range map[string]bool{
		"127.0.0.1": true, "::ffff:127.0.0.1": true, "10.1.2.3": true, "10.1.2.4": false,
		"fd00::5": true, "::1": false, "169.254.169.254": false,
	} {
		if err := g.CheckAddr(netip.MustParseAddr(s)); (err == nil) != ok {
			t.Errorf("%s: err=%v want allowed=%v", s, err, ok)
		}
	}
	if _, err := New([]string{"nope", "10.0.0.0/33"}); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("bad CIDRs not reported: %v", err)
	}
}

func TestCheckURL(t *testing.T) {
	g, _ := New(nil)
	for _, tc := range []struct {
		url     string
		blocked bool
	}{
		{"https://hooks.example.com/x", false},
		{"http://8.8.8.8:8080/x", false},
		{"http://127.0.0.1:9000/", true},
		{"http://localhost:9000/", true},
		{"http://LOCALHOST./", true},
		{"http://api.localhost/", true},
		{"http://[::1]/", true},
		{"http://[::ffff:127.0.0.1]/", true},
		{"http://[::ffff:7f00:1]/", true},
		{"http://2130706433/", true},          // decimal 127.0.0.1
		{"http://0177.0.0.1/", true},          // octal
		{"http://0x7f.0.0.1/", true},          // hex
		{"http://0x7f000001/", true},          // hex whole
		{"http://127.1/", true},               // short form
		{"http://017700000001/", true},        // octal whole
		{"http://3232235777/", true},          // 192.168.1.1
		{"http://0251.0376.0251.0376/", true}, // 169.254.169.254 octal
		{"http://0/", true},
		{"http://169.254.169.254/latest/meta-data", true},
		{"http://[fd00:ec2::254]/", true},
		{"ftp://example.com/", true},
		{"file:///etc/passwd", true},
		{"gopher://example.com/", true},
		{"http://127。0。0。1/", true},            // ideographic full stops (IDNA maps them to '.')
		{"http://１２７.０.０.１/", true},            // full-width digits
		{"http://127．0．0．1/", true},            // full-width full stops
		{"http://169｡254｡169｡254/", true},      // halfwidth ideographic full stops
		{"https://bücher.example/hook", false}, // an IDN host name is fine
	} {
		err := g.CheckURL(tc.url)
		if tc.blocked != (err != nil) {
			t.Errorf("%s: err=%v want blocked=%v", tc.url, err, tc.blocked)
		}
		if err != nil && !errors.Is(err, ErrBlocked) {
			t.Errorf("%s: %v does not wrap ErrBlocked", tc.url, err)
		}
	}
	for _, bad := range []string{"http://user:pw@example.com/", "http:///x", "://", "http://example.com:99999/"} {
		if err := g.CheckURL(bad); err == nil {
			t.Errorf("%s: want error", bad)
		}
	}
}

// TestDialerRefuses uses the guard in a real client against a real server.
func TestDialerRefuses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	for _, tc := range []struct {
		allowed []string
		host    string
		ok      bool
	}{
		{nil, "127.0.0.1", false},
		{nil, "localhost", false},
		{[]string{"127.0.0.0/8", "::1/128"}, "127.0.0.1", true},
		{[]string{"127.0.0.0/8", "::1/128"}, "localhost", true},
	} {
		g, _ := New(tc.allowed)
		c := &http.Client{Transport: &http.Transport{DialContext: g.Dialer(net.Dialer{Timeout: time.Second}).DialContext, Proxy: nil}}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(tc.host, strconv.Itoa(port))+"/", nil)
		resp, err := c.Do(req)
		cancel()
		if resp != nil {
			resp.Body.Close()
		}
		if (err == nil) != tc.ok {
			t.Errorf("%s allowed=%v: err=%v want ok=%v", tc.host, tc.allowed, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrBlocked) {
			t.Errorf("%s: %v does not wrap ErrBlocked", tc.host, err)
		}
	}
}

func TestCheckHost(t *testing.T) {
	g, _ := New([]string{"127.0.0.2/32"})
	ctx := context.Background()
	for host, ok := range map[string]bool{
		"127.0.0.1": false, "localhost": false, "0177.0.0.1": false, "2130706433": false, "[::1]": false,
		"127.0.0.2": true, "8.8.8.8": true, "169.254.169.254": false, "": false,
	} {
		err := g.CheckHost(ctx, host)
		if (err == nil) != ok || (!ok && !errors.Is(err, ErrBlocked)) {
			t.Errorf("%q: err=%v want allowed=%v", host, err, ok)
		}
	}
	if err := g.CheckHost(ctx, "no-such-host.invalid"); err == nil || errors.Is(err, ErrBlocked) {
		t.Errorf("unresolvable host: %v", err)
	}
}
