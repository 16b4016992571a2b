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
	if net, ok := canonicalIPv4(ip); ok {
		if policy == site.PIIRaw {
			return append(dst, ip...)
		}
		return append(append(dst, net...), ".0"...)
	}
	return appendIPParsed(dst, ip, policy)
}

// canonicalIPv4 reports whether ip is an IPv4 address in the form
// netip.Addr prints (four decimal bytes, no leading zeros), and returns its
// first three fields: what AppendIP stores of such an address needs no
// parsing. Anything else is left to netip.
func canonicalIPv4(ip string) (net string, ok bool) {
	fields, start, end3 := 0, 0, 0
	for i := 0; i <= len(ip); i++ {
		if i < len(ip) && ip[i] >= '0' && ip[i] <= '9' {
			continue
		}
		if i < len(ip) && ip[i] != '.' {
			return "", false
		}
		f := ip[start:i]
		if len(f) == 0 || len(f) > 3 || (len(f) > 1 && f[0] == '0') || (len(f) == 3 && f > "255") {
			return "", false
		}
		if fields++; fields == 3 {
			end3 = i
		}
		start = i + 1
	}
	if fields != 4 {
		return "", false
	}
	return ip[:end3], true
}

// appendIPParsed is AppendIP through netip.ParseAddr.
func appendIPParsed(dst []byte, ip string, policy site.PIIPolicy) []byte {
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
