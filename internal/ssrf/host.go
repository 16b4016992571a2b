package ssrf

import (
	"context"
	"fmt"
	"net"
	"strings"

	"golang.org/x/net/idna"
)

// CheckHost resolves host and returns a *BlockedError when any of its
// addresses may not be dialled; an IP literal in any notation ParseHostIP
// accepts is checked as it is, without a lookup. It is the guard of
// connections this process does not dial itself (through a forward proxy,
// which resolves the name again: see the forwarder's README).
func (g *Guard) CheckHost(ctx context.Context, host string) error {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if host == "" {
		return fmt.Errorf("%w: empty host", ErrBlocked)
	}
	if a, ok := ParseHostIP(host); ok {
		return g.CheckAddr(a)
	}
	ascii, err := idna.Lookup.ToASCII(host)
	if err != nil {
		return fmt.Errorf("%w: host %q is not a valid host name: %v", ErrBlocked, host, err)
	}
	if a, ok := ParseHostIP(ascii); ok {
		return g.CheckAddr(a)
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", ascii)
	if err != nil {
		return fmt.Errorf("lookup %s: %w", ascii, err)
	}
	if len(addrs) == 0 {
		return fmt.Errorf("lookup %s: no addresses", ascii)
	}
	// Every address must pass: the proxy may connect to any of them.
	for _, a := range addrs {
		if err := g.CheckAddr(a); err != nil {
			return err
		}
	}
	return nil
}
