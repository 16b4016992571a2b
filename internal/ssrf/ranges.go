package ssrf

import "net/netip"

// blocked lists the special-purpose ranges refused by default, after IANA's
// IPv4 and IPv6 Special-Purpose Address Registries plus multicast and the
// reserved class E block. IPv4-mapped IPv6 addresses are unmapped before the
// check, so "::ffff:127.0.0.1" meets 127.0.0.0/8.
var blocked = []struct {
	prefix netip.Prefix
	name   string
}{
	{mp("0.0.0.0/8"), "this network"},
	{mp("10.0.0.0/8"), "private"},
	{mp("100.64.0.0/10"), "carrier-grade NAT"},
	{mp("127.0.0.0/8"), "loopback"},
	{mp("169.254.0.0/16"), "link-local"},
	{mp("172.16.0.0/12"), "private"},
	{mp("192.0.0.0/24"), "IETF protocol assignments"},
	{mp("192.0.2.0/24"), "documentation"},
	{mp("192.31.196.0/24"), "AS112"},
	{mp("192.52.193.0/24"), "AMT"},
	{mp("192.88.99.0/24"), "6to4 relay anycast"},
	{mp("192.168.0.0/16"), "private"},
	{mp("192.175.48.0/24"), "AS112 direct delegation"},
	{mp("198.18.0.0/15"), "benchmarking"},
	{mp("198.51.100.0/24"), "documentation"},
	{mp("203.0.113.0/24"), "documentation"},
	{mp("224.0.0.0/4"), "multicast"},
	{mp("240.0.0.0/4"), "reserved"}, // includes 255.255.255.255 broadcast

	{mp("::/128"), "unspecified"},
	{mp("::1/128"), "loopback"},
	{mp("::/96"), "IPv4-compatible (deprecated)"},
	{mp("64:ff9b::/96"), "NAT64"},
	{mp("64:ff9b:1::/48"), "local-use NAT64"},
	{mp("100::/64"), "discard-only"},
	{mp("2001::/23"), "IETF protocol assignments"}, // Teredo, ORCHID, benchmarking 2001:2::/48
	{mp("2001:db8::/32"), "documentation"},
	{mp("2002::/16"), "6to4"},
	{mp("3fff::/20"), "documentation"},
	{mp("5f00::/16"), "SRv6 SIDs"},
	{mp("fc00::/7"), "unique local"},
	{mp("fe80::/10"), "link-local"},
	{mp("fec0::/10"), "site-local (deprecated)"},
	{mp("ff00::/8"), "multicast"},
}

func mp(s string) netip.Prefix { return netip.MustParsePrefix(s) }
