package tracer

import (
	"bufio"
	"io"
	"net/netip"
	"strconv"
	"time"
)

// ConnLog writes flow records as a Zeek conn.log in Zeek's tab-separated
// ASCII format (its header lines, one line per flow, a #close line), so
// that Zeek's tools (zeek-cut) and whatever reads Zeek logs read them.
//
// The columns are Zeek's. What a flow record does not hold is unset ("-"):
// local_orig and local_resp (they need the site's networks), missed_bytes,
// orig_ip_bytes and resp_ip_bytes (Flow counts frame lengths, not IP
// bytes), tunnel_parents. uid is "C" and the flow's first frame number
// (unique in the capture; Zeek's are random). For ICMP echo flows
// id.orig_p and id.resp_p are the echo request's type and code, as Zeek
// has them. Times are capture times: #open is the first flow's start,
// #close the latest end, so that the log depends only on the capture.
type ConnLog struct {
	w      *bufio.Writer
	header bool
	last   time.Time
	err    error
}

// NewConnLog returns a ConnLog writing to w; Close writes the last line.
func NewConnLog(w io.Writer) *ConnLog { return &ConnLog{w: bufio.NewWriter(w)} }

const connFields = "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\t" +
	"orig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\t" +
	"orig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents\n"

const connTypes = "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\t" +
	"bool\tbool\tcount\tstring\tcount\tcount\tcount\tcount\tset[string]\n"

// zeekTime writes a #open / #close time as Zeek does.
func zeekTime(b []byte, t time.Time) []byte { return t.UTC().AppendFormat(b, "2006-01-02-15-04-05") }

// Write writes the line of f.
func (c *ConnLog) Write(f *Flow) error {
	if c.err != nil {
		return c.err
	}
	first := time.Unix(f.FirstSec, int64(f.FirstNsec))
	if !c.header {
		c.header = true
		b := []byte("#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tconn\n#open\t")
		b = append(zeekTime(b, first), '\n')
		b = append(append(b, connFields...), connTypes...)
		c.w.Write(b)
	}
	last := time.Unix(f.LastSec, int64(f.LastNsec))
	if last.After(c.last) {
		c.last = last
	}
	b := c.w.AvailableBuffer()
	b = appendZeekTime(b, f.FirstSec, f.FirstNsec)
	b = append(b, "\tC"...)
	b = strconv.AppendUint(b, f.First, 10)
	sp, dp := f.SrcPort, f.DstPort
	proto := "tcp"
	switch f.Proto {
	case 17:
		proto = "udp"
	case 1:
		proto, sp, dp = "icmp", 8, 0 // echo request, code 0
	case 58:
		proto, sp, dp = "icmp", 128, 0
	}
	b = appendIP(append(b, '\t'), f.Src)
	b = strconv.AppendUint(append(b, '\t'), uint64(sp), 10)
	b = appendIP(append(b, '\t'), f.Dst)
	b = strconv.AppendUint(append(b, '\t'), uint64(dp), 10)
	b = append(append(append(b, '\t'), proto...), '\t')
	b = appendZeekService(b, f.Service)
	b = append(b, '\t')
	if d := last.Sub(first); d > 0 {
		b = strconv.AppendFloat(b, d.Seconds(), 'f', 6, 64)
	} else {
		b = append(b, '-')
	}
	b = strconv.AppendUint(append(b, '\t'), f.OrigPayload, 10)
	b = strconv.AppendUint(append(b, '\t'), f.RespPayload, 10)
	b = append(append(append(b, '\t'), f.State...), "\t-\t-\t-\t"...)
	if f.History == "" {
		b = append(b, '-')
	} else {
		b = append(b, f.History...)
	}
	b = strconv.AppendUint(append(b, '\t'), f.OrigPkts, 10)
	b = append(b, "\t-\t"...)
	b = strconv.AppendUint(b, f.RespPkts, 10)
	b = append(b, "\t-\t-\n"...)
	_, c.err = c.w.Write(b)
	return c.err
}

// Close writes the #close line (when a flow was written) and flushes.
func (c *ConnLog) Close() error {
	if c.err == nil && c.header {
		c.w.Write(append(zeekTime([]byte("#close\t"), c.last), '\n'))
	}
	if err := c.w.Flush(); c.err == nil {
		c.err = err
	}
	return c.err
}

// appendZeekTime appends a time as Zeek's conn.log writes ts: seconds with
// six decimals.
func appendZeekTime(b []byte, sec int64, nsec uint32) []byte {
	b = strconv.AppendInt(b, sec, 10)
	us := strconv.AppendUint(nil, uint64(nsec/1000)+1e6, 10) // 7 digits, the first a 1
	return append(append(b, '.'), us[1:]...)
}

func appendIP(b []byte, a []byte) []byte {
	switch len(a) {
	case 4:
		return netip.AddrFrom4([4]byte(a)).AppendTo(b)
	case 16:
		return netip.AddrFrom16([16]byte(a)).AppendTo(b)
	}
	return append(b, '-')
}

// appendZeekService appends the service list with Zeek's names ("ssl" for
// TLS), or "-".
func appendZeekService(b []byte, s string) []byte {
	if s == "" {
		return append(b, '-')
	}
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] != ',' {
			j++
		}
		if i > 0 {
			b = append(b, ',')
		}
		if name := s[i:j]; name == "tls" {
			b = append(b, "ssl"...)
		} else {
			b = append(b, name...)
		}
		i = j + 1
	}
	return b
}
