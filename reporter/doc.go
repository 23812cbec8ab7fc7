// Package reporter renders pcapflow's report model (decoder.Tree blocks) as
// JSON, macOS plist or tree text, streaming: each block is written as soon as
// it is given, so memory does not grow with the number of frames.
//
// # Reports
//
// A report is an ordered sequence of named top-level blocks, as PyPCAPKit
// lays it out: "Global Header" (BuildHeader), then "Frame 1", "Frame 2", ...
// (Builder.Frame / BuildFrame), then optional reassembly and flow blocks.
// NewWriter streams all blocks into one document; FilesWriter writes one
// complete document per frame ("Frame 1.json": header block + that frame).
//
//	w := reporter.NewWriter(out, reporter.JSON)
//	reporter.BuildHeader(&tree, meta)
//	w.Block(reporter.HeaderName, &tree)
//	for each frame {
//		dec.Decode(frame.Data, frame.LinkType, &pkt)
//		b.Frame(&tree, reporter.FrameInfoOf(&frame), &pkt)
//		w.Block(b.Name(frame.Index), &tree)
//	}
//	w.Close()
//
// # Block layout
//
// The pcap "Global Header" block:
//
//	magic_number  object
//	  data        bytes   the 4 magic bytes as they are in the file (d4c3b2a1)
//	  byteorder   string  "little" or "big"
//	  nanosecond  bool    nanosecond timestamps (magic a1b23c4d)
//	version       object  major, minor (uint)
//	thiszone      int     GMT offset field (seconds)
//	sigfigs       uint    timestamp accuracy field
//	snaplen       uint    snap length
//	network       enum    link type, "ETHERNET [1]" (LINKTYPE_ name)
//
// The pcapng "Global Header" block:
//
//	sections      array of objects, one per Section Header Block, in file order:
//	  byteorder   string  "little" or "big"
//	  version     object  major, minor
//	  length      int     section length (-1: not given)
//	  options     array of {code enum ("shb_os [3]"), value string|bytes}
//	interfaces    array of objects, one per Interface Description Block:
//	  section     uint    index into sections
//	  id          uint    interface id within its section
//	  linktype    enum    "ETHERNET [1]"
//	  snaplen     uint
//	  tsresol     uint    raw if_tsresol byte (6 when absent)
//	  tsoffset    int     if_tsoffset, seconds
//	  name        string  if_name ("" when absent)
//	  options     array of {code enum ("if_tsresol [9]"), value string|bytes}
//
// Option values are strings for the options pcapng defines as UTF-8 text
// (comments, names, descriptions, OS, hardware), bytes otherwise. The
// header is written before the first frame, so it lists the sections and
// interfaces that precede the first packet; blocks further on (a second
// section, a late interface) are read and used but not listed.
//
// A "Frame N" block:
//
//	frame_info    object
//	  ts_sec      int     timestamp seconds
//	  ts_usec     uint    microseconds, when the capture has 6 fraction digits,
//	  ts_nsec     uint    or nanoseconds, when it has 9,
//	  ts_frac     uint    or the fraction at the capture's precision otherwise
//	  incl_len    uint    captured length
//	  orig_len    uint    length on the wire
//	time          time    the timestamp, at the capture's precision
//	number        uint    frame number, from 1
//	time_epoch    string  seconds since the epoch with the capture's fraction
//	                      digits ("1511106545.471719"); a string so that no
//	                      float rounding can touch it
//	len           uint    length on the wire
//	cap_len       uint    captured length
//	ethernet      object  the first layer, keyed by protocol (decoder.Proto.Key);
//	  ...                 its fields, then the next layer nested inside it
//	  ipv4        object  (ethernet > ipv4 > tcp > http), the innermost
//	    ...               layer holding "raw" (undecoded bytes) and, when a
//	                      layer failed, "error" {layer, offset, reason}
//	protocols     string  the protocol chain, "Ethernet:IPv4:TCP" ("Raw" when
//	                      no layer was decoded)
//
// # Value rendering
//
// Every format writes the members in Tree order; integers in decimal.
//
//	Kind     JSON / text                         plist
//	Bool     true / false                        <true/> <false/>
//	Int/Uint 42                                  <integer>42</integer>
//	String   "text" (escaped)                    <string>
//	Enum     "Name [value]", "Unknown [value]"   <string>
//	IPv4     "192.0.2.1"                         <string>
//	IPv6     "2001:db8::1" (RFC 5952)            <string>
//	MAC      "aa:bb:cc:dd:ee:ff"                 <string>
//	Bytes    "87000eaa" (lower-case hex)         <data> (base64)
//	Time     "2017-11-19T10:49:05.471719Z"       <date>2017-11-19T10:49:05Z</date>
//	Null     null (text: NIL)                    left out of its <dict>
//
// Times are RFC 3339 in UTC with as many fraction digits as the capture
// stores (Digits, at most 9). Plist dates have second precision: Python's
// plistlib and CoreFoundation (plutil) reject fractional seconds in <date>
// (howett.net/plist accepts them when parsing, but writes whole seconds);
// the exact time stays in frame_info and time_epoch. A time outside the
// years 1 to 9999, which <date> cannot hold, is a <string> in the JSON form.
//
// Plist has no null. A null member of an object is left out of its <dict>
// (as PyPCAPKit's plist does); a null array item, which cannot be left out
// without shifting the items after it, is an empty <string></string>.
//
// Strings: JSON escapes quote, backslash and control characters; plist
// escapes &, < and > (and a carriage return as &#13;) and leaves out the
// characters XML 1.0 forbids (controls other than tab, line feed and
// carriage return; U+FFFE, U+FFFF). In all three formats a byte sequence
// that is not valid UTF-8 is replaced by U+FFFD, so every document is valid
// UTF-8. Text turns tabs and line breaks into spaces and other control
// characters into \xNN.
//
// # Tree text
//
// The text format is PyPCAPKit's tree view (see text.go for the exact
// layout), with these differences: no trailing spaces after keys;
// booleans are true/false; an empty object or array is {} or []; an empty
// string or byte string is ""; a wrapped byte string continues on lines
// aligned with its first byte.
//
// # Why the plist is written by hand
//
// howett.net/plist's Encoder marshals one whole value: a report would have
// to be built in memory as a map of every frame before the first byte is
// written, which breaks the streaming contract (memory constant in the
// number of frames) and allocates for every value. The writers here append
// each block to a reused buffer instead, with no reflection and no
// allocation per block in steady state. The tests parse every plist they
// produce with howett.net/plist (and every JSON with encoding/json) and
// check that the three formats carry the same facts.
package reporter
