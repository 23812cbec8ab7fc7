package decoder

import "bytes"

// FTP control channel (RFC 959, section 4), TCP port 21: lines of text
// ending in CRLF. The client sends commands ("RETR file.txt"), the server
// replies with a 3-digit code and text; a reply of several lines starts
// with "NNN-" and ends with a line "NNN " (RFC 959, section 4.2), and the
// lines between may be any text. A segment is FTP when its first line
// looks like a command or a reply; each of its lines of text is reported
// (a segment can hold several commands, or a whole multi-line reply), the
// last one possibly cut by the end of the segment.

// ftpMaxLines bounds the lines reported per segment.
const ftpMaxLines = 256

// IsFTPStart reports whether b starts like an FTP command (3 or 4
// letters, then a space or the line end) or reply (see ftpReplyCode), on a
// first line of text.
func IsFTPStart(b []byte) bool {
	first := b
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		first = b[:i+1]
	}
	if !isTextLine(first) {
		return false
	}
	if _, ok := ftpReplyCode(first); ok {
		return true
	}
	n := 0
	for n < len(first) && n < 5 && isLetter(first[n]) {
		n++
	}
	return n >= 3 && n <= 4 && (n == len(first) || first[n] == ' ' || first[n] == '\r' || first[n] == '\n')
}

// ftpReplyCode returns the code of a reply line: 3 digits, then the line's
// end, a space or '-' (the first line of a multi-line reply).
func ftpReplyCode(line []byte) (int, bool) {
	if len(line) < 3 || !isDigit(line[0]) || !isDigit(line[1]) || !isDigit(line[2]) {
		return 0, false
	}
	if len(line) > 3 && line[3] != ' ' && line[3] != '-' && line[3] != '\r' && line[3] != '\n' {
		return 0, false
	}
	return int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0'), true
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// decodeFTP takes the lines of text at the start of the payload as the
// layer's header; from the first line holding a control character (other
// than tab and CR) on, the bytes are raw payload: no FTP line is binary.
func decodeFTP(p *Packet, l *Layer) (Proto, error) {
	b := p.Data[l.Off:l.End]
	if !IsFTPStart(b) { // the first line is text: the header is never empty
		return ProtoNone, malformed("no ftp command or reply line")
	}
	n := 0
	for n < len(b) {
		end := len(b)
		if i := bytes.IndexByte(b[n:], '\n'); i >= 0 {
			end = n + i + 1
		}
		if !isTextLine(b[n:end]) {
			break
		}
		n = end
	}
	l.Hdr = uint32(n)
	if n == len(b) {
		return ProtoNone, nil
	}
	return ProtoRaw, nil
}

// isTextLine reports whether a line (its LF included, if any) holds no
// control character but tab, CR and the final LF.
func isTextLine(line []byte) bool {
	for i, c := range line {
		if c < 0x20 && c != '\t' && c != '\r' && !(c == '\n' && i == len(line)-1) || c == 0x7f {
			return false
		}
	}
	return true
}

// ftpReply reports whether the FTP layer l is the server's side: sent from
// port 21 (to a port that is not 21), else by its first line.
func ftpReply(p *Packet, l *Layer) bool {
	if src, dst, ok := tcpPorts(p, l); ok {
		if src == 21 && dst != 21 {
			return true
		}
		if dst == 21 && src != 21 {
			return false
		}
	}
	_, reply := ftpReplyCode(p.Data[l.Off:l.End])
	return reply
}

func fieldsFTP(t *Tree, p *Packet, l *Layer) {
	b := p.Data[l.Off : l.Off+l.Hdr]
	reply := ftpReply(p, l)
	if reply {
		t.String("type", "response")
	} else {
		t.String("type", "request")
	}
	t.Array("lines")
	n := 0
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if k := len(line); k > 0 && line[k-1] == '\r' {
			line = line[:k-1]
		}
		if n == ftpMaxLines {
			t.String("", "... more lines not reported")
			break
		}
		n++
		t.Object("")
		if reply {
			if code, ok := ftpReplyCode(line); ok {
				t.Uint("code", uint64(code))
				t.Bool("continued", len(line) > 3 && line[3] == '-')
				if len(line) > 4 {
					t.StringBytes("text", line[4:])
				} else {
					t.String("text", "")
				}
			} else {
				t.StringBytes("text", line) // a line inside a multi-line reply
			}
		} else {
			cmd, arg := line, []byte(nil)
			for i, c := range line {
				if c == ' ' {
					cmd, arg = line[:i], line[i+1:]
					break
				}
			}
			t.StringBytes("command", cmd)
			t.StringBytes("arg", arg)
		}
		t.Close()
	}
	t.Close()
}
