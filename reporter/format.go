package reporter

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"time"
	"unicode/utf8"
)

// Value formatting shared by the three renderers. Every function appends
// to b and returns it; none allocates when b has room.

const hexDigits = "0123456789abcdef"

// appendHex appends v as lower-case hex without separators ("87000eaa").
// Payload bytes are most of a JSON report, so this converts 4 bytes to 8
// digits at a time in a 64-bit word (hexWord) rather than byte by byte.
func appendHex(b []byte, v []byte) []byte {
	n := len(b)
	b = slices.Grow(b, 2*len(v))[:n+2*len(v)]
	dst := b[n:]
	for len(v) >= 16 && len(dst) >= 32 {
		s, d := v[:16], dst[:32]
		x, y := binary.LittleEndian.Uint64(s[:8]), binary.LittleEndian.Uint64(s[8:])
		binary.LittleEndian.PutUint64(d[:8], hexWord(uint32(x)))
		binary.LittleEndian.PutUint64(d[8:16], hexWord(uint32(x>>32)))
		binary.LittleEndian.PutUint64(d[16:24], hexWord(uint32(y)))
		binary.LittleEndian.PutUint64(d[24:], hexWord(uint32(y>>32)))
		v, dst = v[16:], dst[32:]
	}
	if len(v) >= 8 && len(dst) >= 16 {
		x := binary.LittleEndian.Uint64(v)
		binary.LittleEndian.PutUint64(dst, hexWord(uint32(x)))
		binary.LittleEndian.PutUint64(dst[8:], hexWord(uint32(x>>32)))
		v, dst = v[8:], dst[16:]
	}
	for i, c := range v {
		if 2*i+1 < len(dst) {
			dst[2*i], dst[2*i+1] = hexDigits[c>>4], hexDigits[c&0xf]
		}
	}
	return b
}

// hexWord returns the 8 hex digits of the 4 bytes of v (first byte in the
// low 8 bits), as they are laid out in memory by a little-endian store.
func hexWord(v uint32) uint64 {
	// Spread the bytes to 16-bit lanes, then each lane's nibbles to its two
	// bytes, high nibble first.
	x := uint64(v)
	x = (x | x<<16) & 0x0000ffff0000ffff
	x = (x | x<<8) & 0x00ff00ff00ff00ff
	x = x>>4&0x000f000f000f000f | (x&0x000f000f000f000f)<<8
	// Digit 0-9 to '0'-'9', 10-15 to 'a'-'f': every nibble of 10 or more
	// carries into bit 4 when 6 is added; such digits get 'a'-'0'-10 more.
	// No byte overflows, so no carry crosses lanes.
	letters := (x + 0x06*ones) >> 4 & ones
	return x + '0'*ones + letters*('a'-'0'-10)
}

// digitPairs holds "00" to "99".
const digitPairs = "00010203040506070809" +
	"10111213141516171819" +
	"20212223242526272829" +
	"30313233343536373839" +
	"40414243444546474849" +
	"50515253545556575859" +
	"60616263646566676869" +
	"70717273747576777879" +
	"80818283848586878889" +
	"90919293949596979899"

// appendUint appends v in decimal (strconv.AppendUint(b, v, 10) without
// its generic paths: report values are mostly small).
func appendUint(b []byte, v uint64) []byte {
	if v < 10 {
		return append(b, byte('0'+v))
	}
	if v < 100 {
		return append(b, digitPairs[2*v], digitPairs[2*v+1])
	}
	if v < 10000 {
		hi, lo := v/100, 2*(v%100)
		if hi < 10 {
			return append(b, byte('0'+hi), digitPairs[lo], digitPairs[lo+1])
		}
		return append(b, digitPairs[2*hi], digitPairs[2*hi+1], digitPairs[lo], digitPairs[lo+1])
	}
	w := decimalLen(v)
	n := len(b)
	b = slices.Grow(b, w)[:n+w]
	d := b[n:]
	i := len(d)
	for v >= 100 && i >= 2 {
		q := v / 100
		r := 2 * (v - 100*q)
		i -= 2
		d[i], d[i+1] = digitPairs[r], digitPairs[r+1]
		v = q
	}
	if v >= 10 && i >= 2 {
		d[i-2], d[i-1] = digitPairs[2*v], digitPairs[2*v+1]
	} else if i >= 1 {
		d[i-1] = byte('0' + v)
	}
	return b
}

// decimalLen returns the number of decimal digits of v (at least 1).
func decimalLen(v uint64) int {
	n := 1
	for v >= 10000 {
		v /= 10000
		n += 4
	}
	for v >= 10 {
		v /= 10
		n++
	}
	return n
}

// appendInt appends v in decimal.
func appendInt(b []byte, v int64) []byte {
	if v < 0 {
		return appendUint(append(b, '-'), uint64(-v))
	}
	return appendUint(b, uint64(v))
}

// appendHexGroups appends v as space-separated hex bytes ("87 00 0e aa").
func appendHexGroups(b []byte, v []byte) []byte {
	if len(v) == 0 {
		return b
	}
	n := len(b)
	b = slices.Grow(b, 3*len(v)-1)[:n+3*len(v)-1]
	for i, c := range v {
		j := n + 3*i
		b[j], b[j+1] = hexDigits[c>>4], hexDigits[c&0xf]
		if i > 0 {
			b[j-1] = ' '
		}
	}
	return b
}

// appendMAC appends a hardware address as colon-separated hex bytes.
func appendMAC(b []byte, v []byte) []byte {
	if len(v) == 0 {
		return b
	}
	n := len(b)
	b = slices.Grow(b, 3*len(v)-1)[:n+3*len(v)-1]
	d := b[n:]
	for i, c := range v {
		j := 3 * i
		if j+1 >= len(d) {
			break
		}
		if i > 0 {
			d[j-1] = ':'
		}
		d[j], d[j+1] = hexDigits[c>>4], hexDigits[c&0xf]
	}
	return b
}

// appendIP appends an IPv4 address in dotted-quad form or an IPv6 address in
// RFC 5952 form. A value of the wrong length (a decoder bug) is written as
// hex rather than dropped.
func appendIP(b []byte, v []byte) []byte {
	switch len(v) {
	case 4:
		b = appendUint(b, uint64(v[0]))
		for _, c := range v[1:4] {
			b = appendUint(append(b, '.'), uint64(c))
		}
		return b
	case 16:
		return netip.AddrFrom16([16]byte(v)).AppendTo(b)
	}
	return appendHex(b, v)
}

var pow10 = [...]uint32{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000}

// clampDigits bounds a fraction precision to nanoseconds.
func clampDigits(d uint8) int {
	if d > 9 {
		return 9
	}
	return int(d)
}

// appendFrac appends "." and the first digits digits of nsec (nothing for 0
// digits).
func appendFrac(b []byte, nsec uint32, digits int) []byte {
	if digits == 0 {
		return b
	}
	b = append(b, '.')
	return appendPad(b, uint64(nsec/pow10[9-digits]), digits)
}

// appendPad appends v in decimal, zero-padded to width digits.
func appendPad(b []byte, v uint64, width int) []byte {
	var tmp [20]byte
	i := len(tmp)
	for v >= 10 {
		i--
		tmp[i] = byte('0' + v%10)
		v /= 10
	}
	i--
	tmp[i] = byte('0' + v)
	for n := len(tmp) - i; n < width; n++ {
		b = append(b, '0')
	}
	return append(b, tmp[i:]...)
}

// appendTime appends an RFC 3339 UTC timestamp with digits fraction digits
// (0 to 9) and a "Z" zone: "2017-11-19T10:49:05.471719Z".
func appendTime(b []byte, sec int64, nsec uint32, digits int) []byte {
	b = appendDateTime(b, sec)
	b = appendFrac(b, nsec, digits)
	return append(b, 'Z')
}

// appendDateTime appends the date and time of day of Unix second sec, UTC,
// without fraction or zone: "2017-11-19T10:49:05".
func appendDateTime(b []byte, sec int64) []byte {
	t := time.Unix(sec, 0).UTC()
	year, month, day := t.Date()
	hour, min, s := t.Clock()
	if year < 0 {
		b = append(b, '-')
		year = -year
	}
	b = appendPad(b, uint64(year), 4)
	b = append(b, '-')
	b = appendPad(b, uint64(month), 2)
	b = append(b, '-')
	b = appendPad(b, uint64(day), 2)
	b = append(b, 'T')
	b = appendPad(b, uint64(hour), 2)
	b = append(b, ':')
	b = appendPad(b, uint64(min), 2)
	b = append(b, ':')
	return appendPad(b, uint64(s), 2)
}

// appendEpoch appends sec.nsec as a decimal number of seconds with digits
// fraction digits ("1511106545.471719"). Times before 1970 are negative:
// sec -1, nsec 250000000 is "-0.750000".
func appendEpoch(b []byte, sec int64, nsec uint32, digits int) []byte {
	if nsec >= 1e9 {
		sec += int64(nsec / 1e9)
		nsec %= 1e9
	}
	if sec < 0 {
		b = append(b, '-')
		// -(|sec| - nsec/1e9): borrow one second when there is a fraction.
		mag := uint64(-(sec + 1)) + 1
		if nsec > 0 {
			mag--
			nsec = 1e9 - nsec
		}
		b = appendUint(b, mag)
		return appendFrac(b, nsec, digits)
	}
	b = appendInt(b, sec)
	return appendFrac(b, nsec, digits)
}

// Control characters are those below U+0020 and DEL.
func isControl(c byte) bool { return c < 0x20 || c == 0x7f }

// appendClean appends s with invalid UTF-8 replaced by U+FFFD and control
// characters replaced: white space (\t \n \v \f \r) by a space, others by
// "\xNN". It is the text renderer's sanitiser; runes reports the number of
// runes appended.
func appendClean(b []byte, s string) (out []byte, runes int) {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r':
				b = append(b, ' ')
				runes++
			case isControl(c):
				b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
				runes += 4
			default:
				b = append(b, c)
				runes++
			}
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, "\uFFFD"...)
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
		runes++
	}
	return b, runes
}
