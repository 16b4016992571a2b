package pii

import (
	"net/netip"

	"github.com/popinbridge/bridge/internal/site"
)

// IP applies the policy to a client address: hash keeps only the network
// (/24 for IPv4, /48 for IPv6) so no individual address is stored, drop
// stores nothing, raw keeps it. An unparsable address is stored as "".
func IP(ip string, policy site.PIIPolicy) string {
	return string(AppendIP(nil, ip, policy))
}

// AppendIP appends IP(ip, policy) to dst without allocating (given room).
func AppendIP(dst []byte, ip string, policy site.PIIPolicy) []byte {
	if ip == "" || policy == site.PIIDrop {
		return dst
	}
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return dst
	}
	a = a.Unmap()
	if policy == site.PIIRaw {
		return a.AppendTo(dst)
	}
	bits := 48
	if a.Is4() {
		bits = 24
	}
	p, _ := a.WithZone("").Prefix(bits)
	return p.Addr().AppendTo(dst)
}
