package reassembler

import (
	"bytes"
	"strconv"
	"strings"
)

// analyseFTP reads an FTP control connection (RFC 959): the client sends
// command lines ("RETR file"), the server replies with a three-digit code
// and text, on several lines when the code is followed by '-' (the reply
// ends at the line starting with the same code and a space). As in
// PyPCAPKit, each command and each reply is one message.
func analyseFTP(s *Stream) []*Message {
	var out []*Message
	client := 0
	if s.SrcPort == 21 && s.DstPort != 21 {
		client = 1 // Src is the server: the capture started after the SYN
	}
	for dir := 0; dir < 2; dir++ {
		d := &s.Dirs[dir]
		for _, sp := range spans(d) {
			b := d.Data[sp.start:sp.end]
			pos := 0
			for pos < len(b) {
				var m *Message
				var n int
				if dir == client {
					m, n = ftpCommand(b[pos:])
				} else {
					m, n = ftpReply(b[pos:])
				}
				m.Dir = dir
				m.Offset = sp.off + uint64(pos)
				m.Length = uint64(n)
				m.Frames = framesOf(d, m.Offset, m.Length)
				out = append(out, m)
				pos += n
			}
		}
	}
	return out
}

// line returns the first line of b without its end, and the bytes used.
func line(b []byte) (string, int, bool) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		return string(b), len(b), false
	}
	return strings.TrimRight(string(b[:i]), "\r"), i + 1, true
}

func ftpCommand(b []byte) (*Message, int) {
	l, n, ok := line(b)
	m := &Message{Proto: "FTP", Kind: "command", Complete: ok}
	if !ok {
		m.Error = "line incomplete"
	}
	cmd, arg, _ := strings.Cut(l, " ")
	m.Command, m.Arg = strings.ToUpper(cmd), arg
	return m, n
}

func ftpReply(b []byte) (*Message, int) {
	l, n, ok := line(b)
	m := &Message{Proto: "FTP", Kind: "reply", Complete: ok}
	if len(l) < 3 {
		m.Error = "bad reply line"
		m.Text = l
		return m, n
	}
	code, err := strconv.Atoi(l[:3])
	if err != nil {
		m.Error = "bad reply code"
		m.Text = l
		return m, n
	}
	m.Code = code
	text := []string{strings.TrimLeft(l[3:], " -")}
	if len(l) > 3 && l[3] == '-' {
		// Multi-line reply: up to "code SP".
		end := l[:3] + " "
		for {
			if n >= len(b) {
				m.Complete = false
				m.Error = "multi-line reply incomplete"
				break
			}
			nl, k, ok := line(b[n:])
			n += k
			if strings.HasPrefix(nl, end) {
				text = append(text, nl[4:])
				break
			}
			text = append(text, nl)
			if !ok {
				m.Complete = false
				m.Error = "multi-line reply incomplete"
				break
			}
		}
	}
	if !ok {
		m.Error = "line incomplete"
	}
	m.Text = strings.Join(text, "\n")
	return m, n
}
