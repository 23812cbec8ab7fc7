package tracer

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/ingest"
	"github.com/pcapflow/pcapflow/reporter"
)

// FileSink writes one file per flow into Dir, named by Flow.FileName:
// pcap files with the original frame bytes and timestamps, or a report
// (JSON, plist, tree) of the flow's frames decoded.
//
// At most MaxOpen files are open at once: the least recently written one
// is closed and reopened in append mode when its flow sends again, so a
// capture with a million flows does not run out of file descriptors.
// Report formats cannot be appended to, so their frames are spooled and
// rendered when the flow ends: in memory (SpoolMemory), or once that is
// full, or a flow's frames pass maxFlowSpool, to a hidden file in Dir
// (same LRU).
type FileSink struct {
	Dir string
	// Format is "pcap", "json", "plist" or "tree".
	Format string
	// BigEndian and Nanosecond select the pcap byte order and timestamp
	// resolution (--trace-byteorder, --trace-nanosecond).
	BigEndian, Nanosecond bool
	// MaxOpen bounds the open files (default 1024, or a quarter of the
	// process's file descriptor limit when that is lower). Should opening a
	// file still hit the limit (other descriptors of the process), the
	// least recently written half is closed and the open retried.
	MaxOpen int
	// NewReport starts a report document on w (reporter.NewWriter);
	// required for the report formats.
	NewReport func(w io.Writer) reporter.Writer
	// Decoder decodes spooled frames for reports (default: no thresholds).
	Decoder *decoder.Decoder
	// SpoolMemory bounds the bytes of frames spooled in memory for the
	// report formats, all flows together (0: 64 MiB; negative: none, every
	// flow is spooled to a file). A flow whose frames do not fit, or pass
	// maxFlowSpool, goes on in its spool file. Creating and removing a
	// spool file per flow took most of the time of tracing into reports.
	SpoolMemory int

	files      map[uint64]*flowFile
	head, tail *flowFile
	open       int
	// Skipped counts packets not written: a link type other than the
	// flow's first one cannot go into the same pcap file.
	Skipped uint64
	// Workers is the number of goroutines rendering the reports of ended
	// flows while tracing goes on (0: End renders on the caller's
	// goroutine). Close waits for them. Their first error is returned once:
	// by the End after it, or else by Close.
	Workers int

	spooled atomic.Int64 // bytes in the flows' mem
	r       renderer     // when Workers is 0
	jobs    chan renderJob
	wg      sync.WaitGroup
	errMu   sync.Mutex
	werr    error // first error of a worker
	werrOut bool  // werr was returned
	spills  int   // flows moved from memory to their spool file
}

// renderer renders flow reports: one per goroutine.
type renderer struct {
	tree decoder.Tree
	pkt  decoder.Packet
	rw   reporter.Writer // reused when it is a reporter.Resetter
	data []byte
}

// renderJob is an ended flow for a worker: a copy of its record (read
// only) and its spool.
type renderJob struct {
	fl Flow
	ff *flowFile
}

// maxFlowSpool bounds the bytes of one flow spooled in memory.
const maxFlowSpool = 1 << 20

const defaultSpoolMemory = 64 << 20

type flowFile struct {
	first      uint64
	path       string
	f          *os.File
	bw         *bufio.Writer
	sw         switchWriter
	pw         *ingest.PcapWriter
	linkType   uint32
	created    bool
	mem        []byte // spooled frames, until the flow goes to its spool file
	prev, next *flowFile
}

// switchWriter lets one PcapWriter survive its file being closed and
// reopened.
type switchWriter struct{ w io.Writer }

func (s *switchWriter) Write(b []byte) (int, error) {
	if s.w == nil {
		return 0, errors.New("write closed flow file")
	}
	return s.w.Write(b)
}

// ParseFormat checks a --trace-format value.
func ParseFormat(s string) (string, error) {
	switch s {
	case "pcap", "json", "plist", "tree":
		return s, nil
	}
	return "", fmt.Errorf("unknown trace format %q (want pcap, json, plist or tree)", s)
}

func (s *FileSink) ext() string {
	switch s.Format {
	case "json":
		return ".json"
	case "plist":
		return ".plist"
	case "tree":
		return ".txt"
	}
	return ".pcap"
}

func (s *FileSink) maxOpen() int {
	if s.MaxOpen <= 0 {
		// Closing and reopening files costs system calls: with 64 open,
		// tracing the 1,000,000-frame generated capture (37,517 flows)
		// took 10.0 s, with 1024 3.4 s (4096: no faster).
		return max(16, min(1024, fdLimit()/4))
	}
	return s.MaxOpen
}

func (s *FileSink) unlink(ff *flowFile) {
	if ff.prev != nil {
		ff.prev.next = ff.next
	} else if s.head == ff {
		s.head = ff.next
	}
	if ff.next != nil {
		ff.next.prev = ff.prev
	} else if s.tail == ff {
		s.tail = ff.prev
	}
	ff.prev, ff.next = nil, nil
}

func (s *FileSink) closeFile(ff *flowFile) error {
	if ff.f == nil {
		return nil
	}
	s.unlink(ff)
	s.open--
	err := ff.bw.Flush()
	if cerr := ff.f.Close(); err == nil {
		err = cerr
	}
	ff.f, ff.bw, ff.sw.w = nil, nil, nil
	if err != nil {
		return fmt.Errorf("close %s: %w", ff.path, err)
	}
	return nil
}

// ensureOpen opens (or reopens for append) the flow's file.
func (s *FileSink) ensureOpen(ff *flowFile) error {
	if ff.f != nil {
		if s.tail != ff {
			s.unlink(ff)
			s.push(ff)
		}
		return nil
	}
	for s.open >= s.maxOpen() && s.head != nil {
		if err := s.closeFile(s.head); err != nil {
			return err
		}
	}
	flag := os.O_WRONLY | os.O_CREATE | os.O_APPEND
	if !ff.created {
		flag = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(ff.path, flag, 0o644)
	for err != nil && (errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)) && s.open > 1 {
		// Out of descriptors: give back the least recently written half.
		for keep := s.open / 2; s.open > keep && s.head != nil; {
			if cerr := s.closeFile(s.head); cerr != nil {
				return cerr
			}
		}
		f, err = os.OpenFile(ff.path, flag, 0o644)
	}
	if err != nil {
		return fmt.Errorf("open flow file: %w", err)
	}
	ff.f = f
	ff.bw = bufio.NewWriterSize(f, 16<<10)
	ff.sw.w = ff.bw
	s.open++
	s.push(ff)
	return nil
}

func (s *FileSink) push(ff *flowFile) {
	ff.prev, ff.next = s.tail, nil
	if s.tail != nil {
		s.tail.next = ff
	} else {
		s.head = ff
	}
	s.tail = ff
}

// Packet implements Sink.
func (s *FileSink) Packet(fl *Flow, fi reporter.FrameInfo, p *decoder.Packet) error {
	if s.files == nil {
		s.files = make(map[uint64]*flowFile)
	}
	pcap := s.Format == "pcap" || s.Format == ""
	ff := s.files[fl.First]
	if ff == nil {
		ff = &flowFile{first: fl.First, linkType: p.LinkType}
		if pcap {
			ff.path = filepath.Join(s.Dir, fl.FileName()+".pcap")
		} else {
			ff.path = filepath.Join(s.Dir, ".spool-"+strconv.FormatUint(fl.First, 10))
		}
		s.files[fl.First] = ff
	}
	if p.LinkType != ff.linkType {
		s.Skipped++
		return nil
	}
	if !pcap && !ff.created {
		n := spoolHdr + len(p.Data)
		if len(ff.mem)+n <= maxFlowSpool && s.spooled.Load()+int64(n) <= s.spoolMemory() {
			ff.mem = appendSpool(ff.mem, &fi, p.Data)
			s.spooled.Add(int64(n))
			return nil
		}
	}
	if err := s.ensureOpen(ff); err != nil {
		return err
	}
	if !ff.created {
		ff.created = true
		if pcap {
			pw, err := ingest.NewPcapWriter(&ff.sw, ingest.PcapWriterOptions{LinkType: ff.linkType,
				Nanosecond: s.Nanosecond, BigEndian: s.BigEndian})
			if err != nil {
				return err
			}
			ff.pw = pw
		} else if len(ff.mem) > 0 {
			// Out of memory for it: the flow goes on in its spool file.
			s.spills++
			_, err := ff.bw.Write(ff.mem)
			s.release(ff)
			if err != nil {
				return fmt.Errorf("spool flow: %w", err)
			}
		}
	}
	if ff.pw != nil {
		return ff.pw.WritePacket(fi.Sec, fi.Nsec, fi.OrigLen, p.Data)
	}
	var h [spoolHdr]byte
	putSpoolHdr(&h, &fi, len(p.Data))
	if _, err := ff.bw.Write(h[:]); err != nil {
		return err
	}
	_, err := ff.bw.Write(p.Data)
	return err
}

func (s *FileSink) spoolMemory() int64 {
	if s.SpoolMemory == 0 {
		return defaultSpoolMemory
	}
	return int64(s.SpoolMemory)
}

// release forgets the frames the flow spooled in memory.
func (s *FileSink) release(ff *flowFile) {
	s.spooled.Add(-int64(len(ff.mem)))
	ff.mem = nil
}

// spool record: index u64, sec i64, nsec u32, origlen u32, digits u8,
// caplen u32, then the bytes.
const spoolHdr = 8 + 8 + 4 + 4 + 1 + 4

func putSpoolHdr(h *[spoolHdr]byte, fi *reporter.FrameInfo, caplen int) {
	binary.LittleEndian.PutUint64(h[0:], fi.Index)
	binary.LittleEndian.PutUint64(h[8:], uint64(fi.Sec))
	binary.LittleEndian.PutUint32(h[16:], fi.Nsec)
	binary.LittleEndian.PutUint32(h[20:], fi.OrigLen)
	h[24] = fi.Digits
	binary.LittleEndian.PutUint32(h[25:], uint32(caplen))
}

// appendSpool appends a spool record of the frame to b.
func appendSpool(b []byte, fi *reporter.FrameInfo, data []byte) []byte {
	var h [spoolHdr]byte
	putSpoolHdr(&h, fi, len(data))
	return append(append(b, h[:]...), data...)
}

// End implements Sink: it closes the flow's file, rendering the report
// for report formats (or handing it to a worker: see Workers).
func (s *FileSink) End(fl *Flow) error {
	ff := s.files[fl.First]
	if ff == nil {
		return s.workerErr()
	}
	delete(s.files, fl.First)
	if err := s.closeFile(ff); err != nil {
		return err
	}
	if ff.pw != nil {
		return nil
	}
	if s.NewReport == nil {
		return errors.New("trace: no report writer for format " + s.Format)
	}
	if s.Workers <= 0 {
		return s.r.render(s, fl, ff)
	}
	if s.jobs == nil {
		s.jobs = make(chan renderJob, 4*s.Workers)
		for range s.Workers {
			s.wg.Add(1)
			go s.work()
		}
	}
	s.jobs <- renderJob{*fl, ff}
	return s.workerErr()
}

// work renders the reports of the jobs until they are closed.
func (s *FileSink) work() {
	defer s.wg.Done()
	var r renderer
	for j := range s.jobs {
		if err := r.render(s, &j.fl, j.ff); err != nil {
			s.errMu.Lock()
			if s.werr == nil {
				s.werr = err
			}
			s.errMu.Unlock()
		}
	}
}

// workerErr returns the first error of a worker, once.
func (s *FileSink) workerErr() error {
	if s.jobs == nil {
		return nil
	}
	s.errMu.Lock()
	defer s.errMu.Unlock()
	if s.werrOut {
		return nil
	}
	s.werrOut = s.werr != nil
	return s.werr
}

// render writes the report of the ended flow fl from its spool. Workers
// run it concurrently: it reads only the sink's settings, and the spooled
// bytes count (atomic).
func (r *renderer) render(s *FileSink, fl *Flow, ff *flowFile) (err error) {
	var in io.Reader
	if ff.created {
		f, err := os.Open(ff.path)
		if err != nil {
			return fmt.Errorf("read spooled flow: %w", err)
		}
		defer func() {
			f.Close()
			if rerr := os.Remove(ff.path); err == nil && rerr != nil {
				err = rerr
			}
		}()
		in = bufio.NewReader(f)
	} else {
		defer s.release(ff)
		in = bytes.NewReader(ff.mem)
	}
	path := filepath.Join(s.Dir, fl.FileName()+s.ext())
	out, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create flow report: %w", err)
	}
	// The report writer buffers itself. It writes behind on an *os.File,
	// which costs a goroutine handoff per write: a flow's report is mostly
	// one write, written faster directly (plainWriter).
	if rs, ok := r.rw.(reporter.Resetter); ok {
		rs.Reset(plainWriter{out})
	} else {
		r.rw = s.NewReport(plainWriter{out})
	}
	rw := r.rw
	dec := s.Decoder
	if dec == nil {
		dec = defaultDecoder
	}
	var h [spoolHdr]byte
	for {
		if _, err = io.ReadFull(in, h[:]); err != nil {
			if errors.Is(err, io.EOF) {
				err = nil
			}
			break
		}
		fi := reporter.FrameInfo{Index: binary.LittleEndian.Uint64(h[0:]), Sec: int64(binary.LittleEndian.Uint64(h[8:])),
			Nsec: binary.LittleEndian.Uint32(h[16:]), OrigLen: binary.LittleEndian.Uint32(h[20:]), Digits: h[24]}
		n := binary.LittleEndian.Uint32(h[25:])
		fi.CapLen = n
		if cap(r.data) < int(n) {
			r.data = make([]byte, n)
		}
		data := r.data[:n]
		if _, err = io.ReadFull(in, data); err != nil {
			break
		}
		dec.Decode(data, ff.linkType, &r.pkt)
		r.tree.Reset()
		FrameFields(&r.tree, &fi, &r.pkt)
		if err = rw.Block("Frame "+strconv.FormatUint(fi.Index, 10), &r.tree); err != nil {
			break
		}
	}
	r.tree.Reset()
	fl.Fields(&r.tree)
	if err == nil {
		err = rw.Block("Flow", &r.tree)
	}
	if cerr := rw.Close(); err == nil {
		err = cerr
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write flow report %s: %w", path, err)
	}
	return nil
}

// defaultDecoder decodes spooled frames when FileSink.Decoder is nil (a
// Decoder is read only: goroutines share it).
var defaultDecoder = decoder.New(decoder.Options{})

// plainWriter hides the *os.File from reporter.NewWriter (see render).
type plainWriter struct{ w io.Writer }

func (p plainWriter) Write(b []byte) (int, error) { return p.w.Write(b) }

// FrameFields writes a frame's report block: frame info, protocol chain,
// then the layers.
func FrameFields(t *decoder.Tree, fi *reporter.FrameInfo, p *decoder.Packet) {
	t.Object("frame")
	t.Uint("number", fi.Index)
	t.Time("time", fi.Sec, fi.Nsec, fi.Digits)
	t.Uint("len", uint64(fi.OrigLen))
	t.Uint("cap_len", uint64(fi.CapLen))
	t.String("protocols", p.Chain())
	t.Close()
	p.Fields(t)
}

// Close closes every file still open (flows not ended: call Tracer.Flush
// first to end them all), and waits for the workers' reports.
func (s *FileSink) Close() error {
	var errs []error
	for s.head != nil {
		if err := s.closeFile(s.head); err != nil {
			errs = append(errs, err)
		}
	}
	if s.jobs != nil {
		close(s.jobs)
		s.wg.Wait()
		errs = append(errs, s.workerErr())
		s.jobs = nil
	}
	return errors.Join(errs...)
}
