// Package ssrf refuses outbound connections to loopback, private, link-local
// and other special-purpose addresses (server-side request forgery guard).
//
// The check runs in the dialer's ControlContext, i.e. after DNS resolution
// and just before connect, on the very address being dialled, so a name that
// resolves (or re-resolves, DNS rebinding) to a private address is refused.
// CheckURL adds a friendly create-time check of a URL.
package ssrf

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/net/idna"
)

// ErrBlocked is wrapped by every refusal of the guard.
var ErrBlocked = errors.New("ssrf guard")

// BlockedError names the refused address and the range it falls in.
type BlockedError struct {
	Addr  netip.Addr
	Range string // e.g. "loopback 127.0.0.0/8"
}

func (e *BlockedError) Error() string {
	return fmt.Sprintf("ssrf guard: %s is in a %s range; list it in forwarder.allowed_private_targets to allow it", e.Addr, e.Range)
}

// Unwrap makes errors.Is(err, ErrBlocked) true.
func (e *BlockedError) Unwrap() error { return ErrBlocked }

// Guard decides which addresses may be dialled. The zero Guard allows only
// public addresses. Safe for concurrent use.
type Guard struct {
	allowed []netip.Prefix
}

// New returns a guard exempting the given CIDRs (e.g. "127.0.0.0/8"). Single
// addresses without a "/bits" suffix are accepted as host prefixes.
func New(allowed []string) (*Guard, error) {
	g := &Guard{}
	var errs []error
	for _, s := range allowed {
		p, err := ParsePrefix(s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		g.allowed = append(g.allowed, p)
	}
	return g, errors.Join(errs...)
}

// ParsePrefix parses a CIDR or a single address.
func ParsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	if a, err := netip.ParseAddr(s); err == nil {
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	return netip.Prefix{}, fmt.Errorf("%q is not a CIDR like \"10.0.0.0/8\" or an IP address", s)
}

// CheckAddr returns a *BlockedError when a may not be dialled.
func (g *Guard) CheckAddr(a netip.Addr) error {
	a = a.WithZone("")
	for _, p := range g.allowed {
		if p.Contains(a) || (a.Is4In6() && p.Contains(a.Unmap())) {
			return nil
		}
	}
	u := a.Unmap()
	for _, b := range blocked {
		if b.prefix.Contains(u) {
			return &BlockedError{Addr: a, Range: b.name + " " + b.prefix.String()}
		}
	}
	if !u.IsValid() {
		return &BlockedError{Addr: a, Range: "invalid"}
	}
	return nil
}

// Control is a net.Dialer ControlContext function: it refuses the connect
// when the resolved address is blocked.
func (g *Guard) Control(_ context.Context, network, address string, _ syscall.RawConn) error {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return fmt.Errorf("%w: network %q is not allowed", ErrBlocked, network)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot parse dialled address %q: %v", ErrBlocked, address, err)
	}
	return g.CheckAddr(ap.Addr())
}

// CheckURL validates an endpoint URL at create time: http or https only, a
// host, no user info, and, when the host — after IDNA mapping, as a
// resolver would see it — is an IP address in any notation the C library
// would accept (decimal "2130706433", octal "0177.0.0.1", hex "0x7f.1"), an
// address the guard allows. Host names are not resolved here:
// the dialer checks what they resolve to at every connect.
func (g *Guard) CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("url: %w", err)
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	default:
		return fmt.Errorf("%w: scheme %q is not allowed (http or https only)", ErrBlocked, u.Scheme)
	}
	if u.User != nil {
		return errors.New("url: user info (user:password@) is not allowed; use auth: bearer or api_key")
	}
	host := u.Hostname()
	if host == "" {
		return errors.New("url: host required")
	}
	if !strings.HasPrefix(u.Host, "[") {
		// What a resolver would look up: IDNA maps "127。0。0。1" (ideographic
		// full stops) and full-width digits to an IP literal.
		ascii, err := idna.Lookup.ToASCII(host)
		if err != nil {
			return fmt.Errorf("url: host %q is not a valid host name: %w", host, err)
		}
		host = ascii
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("url: bad port %q", p)
		}
	}
	if a, ok := ParseHostIP(host); ok {
		return g.CheckAddr(a)
	}
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") || strings.HasSuffix(strings.ToLower(strings.TrimSuffix(host, ".")), ".localhost") {
		return g.CheckAddr(netip.MustParseAddr("127.0.0.1"))
	}
	return nil
}

// ParseHostIP parses host as an IP address: standard IPv4/IPv6 text, or the
// inet_aton forms (1 to 4 parts, each decimal, octal with a leading 0, or hex
// with 0x) that some resolvers accept.
func ParseHostIP(host string) (netip.Addr, bool) {
	h := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSuffix(host, "]"), "["), ".")
	if a, err := netip.ParseAddr(h); err == nil {
		return a, true
	}
	parts := strings.Split(h, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	vals := make([]uint64, len(parts))
	for i, p := range parts {
		if p == "" {
			return netip.Addr{}, false
		}
		v, err := strconv.ParseUint(p, 0, 32) // base 0: 0x.. hex, 0.. octal
		if err != nil {
			return netip.Addr{}, false
		}
		vals[i] = v
	}
	var n uint64
	last := len(vals) - 1
	for i, v := range vals[:last] {
		if v > 255 {
			return netip.Addr{}, false
		}
		n |= v << (24 - 8*uint(i))
	}
	if vals[last] >= 1<<(8*uint(4-last)) {
		return netip.Addr{}, false
	}
	n |= vals[last]
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), true
}

// Dialer returns a net.Dialer whose connects are checked by g.
func (g *Guard) Dialer(base net.Dialer) *net.Dialer {
	d := base
	d.ControlContext = g.Control
	return &d
}
