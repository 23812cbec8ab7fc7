package decoder_test

import "net/netip"

func netipString(a [16]byte) string { return netip.AddrFrom16(a).String() }
