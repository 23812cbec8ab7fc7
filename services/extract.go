package services

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/ingest"
	"github.com/pcapflow/pcapflow/reassembler"
	"github.com/pcapflow/pcapflow/reporter"
	"github.com/pcapflow/pcapflow/tracer"
)

// ExtractOptions configures Extract. The zero value of every field but
// Input and Output is usable.
type ExtractOptions struct {
	// Input is the capture to read: a file path, or "-" for Stdin.
	Input string
	// Output is the report file, "-" for Stdout, or with Files the folder
	// that receives one file per frame.
	Output string
	// Format is the report format (0 means reporter.JSON).
	Format reporter.Format
	// Files writes one complete report per frame ("Frame 1.json", each
	// with the capture header block) into the folder Output.
	Files bool
	// Verbose, when set, receives one line per frame:
	// "Frame   1: Ethernet:IPv4:TCP".
	Verbose io.Writer
	// Decode holds the layer and protocol thresholds.
	Decode decoder.Options
	// MaxRecord bounds the captured length of one record (0: the reader's
	// default, 256 KiB); a larger record is an error, never an allocation.
	MaxRecord uint32
	// Progress, when set, receives a progress line (frames, bytes, rate)
	// about four times a second, rewritten in place with "\r", and cleared
	// at the end. Meant for a terminal.
	Progress io.Writer
	// Engine selects how the pipeline runs: "" or "inline" (the cores
	// chained in this process, no bus), "embedded" (every service in this
	// process over an embedded NATS server), or a NATS URL such as
	// "nats://localhost:4222" (a running deployment). All give the same
	// report bytes.
	Engine string
	// Stdin and Stdout replace os.Stdin and os.Stdout for "-" (tests,
	// embedding).
	Stdin  io.Reader
	Stdout io.Writer
	// Reassembly (--ipv4 --ipv6 --tcp --strict): when IPv4, IPv6 or TCP is
	// set, reassembled datagrams and streams join the report (see
	// extract_reassembly.go). Trace (--trace), when set, adds the flow
	// records, and its Sink writes the per-flow files: as the frames go by
	// with the inline engine; once the report is done, from the FLOWS and
	// FRAMES streams, with the bus engines (see flowfiles.go), in the same
	// order per flow, so that a tracer.FileSink writes the same bytes.
	Reassembly reassembler.Config
	Trace      *tracer.Config
}

// Stats summarises an extraction.
type Stats struct {
	Frames       uint64        // frames read and reported
	Bytes        uint64        // captured bytes of those frames
	DecodeErrors uint64        // frames with a layer that failed to decode
	Duration     time.Duration // wall time of the extraction
}

// EngineInline is the name of the in-process engine.
const EngineInline = "inline"

// engineFunc runs one extraction with validated options.
type engineFunc func(ctx context.Context, o *ExtractOptions) (Stats, error)

// engines lists the engines of this build: a name, or a prefix ending in
// "://" that matches URLs. Adding an engine is one line here.
var engines = []struct {
	name string
	run  engineFunc
}{
	{EngineInline, extractInline},
	{EngineEmbedded, extractEmbedded}, // bus engines: services/embedded.go, services/external.go
	{"nats://", extractExternal},
	{"tls://", extractExternal},
}

// lookupEngine finds the engine named name ("" is inline).
func lookupEngine(name string) (engineFunc, error) {
	if name == "" {
		name = EngineInline
	}
	for _, e := range engines {
		if e.name == name || strings.HasSuffix(e.name, "://") && strings.HasPrefix(name, e.name) {
			return e.run, nil
		}
	}
	have := make([]string, len(engines))
	for i, e := range engines {
		have[i] = e.name
	}
	return nil, fmt.Errorf("engine %q is not available in this build: engines are %s", name, strings.Join(have, ", "))
}

// Validate checks the options and fills in defaults (Format).
func (o *ExtractOptions) Validate() error {
	if o.Input == "" {
		return errors.New("extract: no input capture given")
	}
	if o.Output == "" {
		return errors.New("extract: no output given")
	}
	if o.Format == 0 {
		o.Format = reporter.JSON
	}
	if o.Format.Ext() == "" {
		return fmt.Errorf("extract: unknown report format %d", o.Format)
	}
	if o.Files && o.Output == "-" {
		return errors.New("extract: per-frame files (-F) need a folder, not standard output")
	}
	if o.Input != "-" && o.Output != "-" && !o.Files && sameFile(o.Input, o.Output) {
		return fmt.Errorf("extract: output %s would overwrite the input capture", o.Output)
	}
	if _, err := lookupEngine(o.Engine); err != nil {
		return fmt.Errorf("extract: %w", err)
	}
	return nil
}

// sameFile reports whether two paths name one existing file.
func sameFile(a, b string) bool {
	sa, err := os.Stat(a)
	if err != nil {
		return false
	}
	sb, err := os.Stat(b)
	return err == nil && os.SameFile(sa, sb)
}

// Extract reads the capture o.Input, decodes every frame and writes the
// report (PyPCAPKit's extract). It streams: memory does not grow with the
// number of frames.
//
// A capture that cannot be opened (missing, not a capture) fails before
// any output is created. A read error after some frames (a truncated
// capture, an absurd record length) still ends the report properly, so
// that it is a complete, valid document holding every frame read, and is
// then returned with the Stats of those frames. Cancelling ctx does the
// same and returns ctx.Err(). A frame that fails to decode is not an
// error: its block says which layer failed, where and why.
func Extract(ctx context.Context, o ExtractOptions) (Stats, error) {
	if err := o.Validate(); err != nil {
		return Stats{}, err
	}
	run, _ := lookupEngine(o.Engine)
	return run(ctx, &o)
}

// openCapture opens o.Input. When flush is not nil it runs before every
// read of the input (ingest.Reader.BeforeRead): the reader blocks only
// there, so per-frame output (the verbose lines, the pipelined engine's
// batches) goes out at once on a live stream such as
// "tcpdump -w - | pcapflow extract - -v", and in large chunks otherwise.
func openCapture(o *ExtractOptions, flush func()) (*ingest.Reader, io.Closer, error) {
	opts := ingest.ReaderOptions{MaxRecord: o.MaxRecord}
	var in io.Reader
	var c io.Closer = io.NopCloser(nil)
	if o.Input == "-" {
		in = o.Stdin
		if in == nil {
			in = os.Stdin
		}
	} else {
		f, err := os.Open(o.Input)
		if err != nil {
			return nil, nil, fmt.Errorf("open capture: %w", err)
		}
		in, c = f, f
	}
	r, err := ingest.NewReader(in, o.Input, opts)
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	if flush != nil {
		r.BeforeRead(flush)
	}
	return r, c, nil
}

// sink is where blocks go: a streamed document or per-frame files.
type sink struct {
	w     reporter.Writer
	files *reporter.FilesWriter
	file  *os.File // the report file to close, if any
	name  string   // for messages
}

func openSink(o *ExtractOptions) (*sink, error) {
	if o.Files {
		fw, err := reporter.NewFilesWriter(o.Output, o.Format)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o.Output, err)
		}
		return &sink{w: fw, files: fw, name: o.Output}, nil
	}
	if o.Output == "-" {
		w := o.Stdout
		if w == nil {
			w = os.Stdout
		}
		return &sink{w: reporter.NewWriter(w, o.Format), name: "standard output"}, nil
	}
	f, err := os.Create(o.Output)
	if err != nil {
		return nil, fmt.Errorf("create report: %w", err)
	}
	return &sink{w: reporter.NewWriter(f, o.Format), file: f, name: o.Output}, nil
}

// header writes the capture header block.
func (s *sink) header(t *decoder.Tree) error {
	if s.files != nil {
		return s.files.Header(reporter.HeaderName, t)
	}
	return s.w.Block(reporter.HeaderName, t)
}

// close finishes the document and closes the report file.
func (s *sink) close() error {
	err := s.w.Close()
	if s.file != nil {
		if cerr := s.file.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("write report %s: %w", s.name, cerr)
		}
	}
	return err
}

// extractInline is the inline engine: ingest, decoder and reporter chained
// in this goroutine, with one reused Frame, Packet, Tree and Builder.
func extractInline(ctx context.Context, o *ExtractOptions) (st Stats, err error) {
	start := time.Now()
	defer func() { st.Duration = time.Since(start) }()

	var verbose *bufio.Writer
	var flush func()
	if o.Verbose != nil {
		verbose = bufio.NewWriter(o.Verbose)
		flush = func() { verbose.Flush() }
	}
	r, rc, err := openCapture(o, flush)
	if err != nil {
		return st, err
	}
	defer rc.Close()
	out, err := openSink(o)
	if err != nil {
		return st, err
	}

	var (
		tree    decoder.Tree
		pkt     decoder.Packet
		frame   ingest.Frame
		builder reporter.Builder
		dec     = decoder.New(o.Decode)
		line    []byte
		prog    = newProgress(o.Progress, r)
	)
	reporter.BuildHeader(&tree, r.Meta())
	werr := out.header(&tree)
	sf := newStateful(o, out.w) // reassembly and tracing, when asked
	if werr == nil && runtime.GOMAXPROCS(0) > 1 {
		return extractPipelined(ctx, o, r, out, dec, sf, prog, start, verbose)
	}

	var rerr error
	for werr == nil {
		if st.Frames&63 == 0 {
			if cerr := ctx.Err(); cerr != nil {
				rerr = cerr
				break
			}
		}
		if e := r.Next(&frame); e != nil {
			if e != io.EOF {
				rerr = e
			}
			break
		}
		dec.Decode(frame.Data, frame.LinkType, &pkt)
		if pkt.Failed() {
			st.DecodeErrors++
		}
		builder.Frame(&tree, reporter.FrameInfoOf(&frame), &pkt)
		werr = out.w.Block(builder.Name(frame.Index), &tree)
		if werr == nil && sf != nil {
			werr = sf.add(reporter.FrameInfoOf(&frame), &pkt)
		}
		st.Frames++
		st.Bytes += uint64(frame.CapLen)
		if verbose != nil {
			line = verboseLine(line[:0], frame.Index, &pkt)
			verbose.Write(line)
		}
		prog.tick(&st)
	}
	if werr == nil && sf != nil {
		werr = sf.flush()
	}
	prog.done()
	if verbose != nil {
		verbose.Flush()
	}
	if cerr := out.close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return st, fmt.Errorf("write report %s: %w", out.name, unwrapWrite(werr))
	}
	return st, rerr
}

// The pipelined inline engine (with two or more Ps): the calling
// goroutine reads, decodes and builds the blocks of a batch of frames
// (and writes their verbose lines), and with reassembly or tracing feeds
// them to the stateful cores, while a second goroutine renders the
// previous batch: its frame blocks and, right after each frame, the blocks
// of the records the cores emitted at it (as in the serial loop). Rendering
// is the larger share of the work (JSON, hex of every stream byte), so the
// cores run beside decoding rather than beside rendering. One producer,
// one consumer and FIFO channels keep the frame order; the batches and
// everything in them are reused, so there is no allocation per frame.
const (
	pipeBatches    = 4         // batches in flight (producer, channel, renderer)
	pipeBatchLen   = 256       // frames per batch
	pipeArenaBytes = 512 << 10 // initial byte arena of a batch
	// pipeBinsKeep bounds the record bytes a batch keeps room for once
	// rendered. What a batch holds is bounded by what the reassembler
	// held (its MaxTotalStreamBytes) plus the batch's own frames: a burst
	// of expiries can fill one batch with that much.
	pipeBinsKeep = 4 << 20
)

// pipeSlot is one frame of a batch: its own Tree and Builder (the Tree
// aliases the Builder's scratch and the batch's arena; it holds copies of
// the Packet's values, so the Packet itself is shared).
type pipeSlot struct {
	info    reporter.FrameInfo
	failed  bool
	tree    decoder.Tree
	builder reporter.Builder
}

// pipeBatch holds frames copied out of the reader's buffer into arena,
// and the record blocks emitted at them (recs[:nrec], in emission order).
type pipeBatch struct {
	n     int
	arena []byte
	slots []pipeSlot
	recs  []pipeRecord
	nrec  int
	// bins holds the string and byte values of the record blocks (see
	// decoder.Node.Value): the records lend the cores' buffers only while
	// they are emitted.
	bins []byte
}

// pipeRecord is a record block that follows frame slot of its batch.
type pipeRecord struct {
	slot int
	name string
	tree decoder.Tree
}

// batchRecorder is the reporter.Writer of the stateful cores in the
// pipelined engine: it keeps each block in the current batch, after its
// current frame, for the renderer.
type batchRecorder struct {
	b *pipeBatch
}

func (r *batchRecorder) Block(name string, t *decoder.Tree) error {
	b := r.b
	if b.nrec == len(b.recs) {
		b.recs = append(b.recs, pipeRecord{})
	}
	rec := &b.recs[b.nrec]
	b.nrec++
	rec.slot, rec.name = b.n-1, name
	rec.tree.Nodes = append(rec.tree.Nodes[:0], t.Nodes...)
	for i := range rec.tree.Nodes {
		nd := &rec.tree.Nodes[i]
		v := nd.Value()
		if len(v) == 0 {
			continue
		}
		if len(b.bins)+len(v) > cap(b.bins) {
			// A new chunk: the values already copied keep the old one.
			b.bins = make([]byte, 0, max(2*cap(b.bins), len(v), 64<<10))
		}
		off := len(b.bins)
		b.bins = append(b.bins, v...)
		nd.SetValue(b.bins[off:len(b.bins):len(b.bins)])
	}
	return nil
}

func (r *batchRecorder) Close() error { return nil }

// extractPipelined continues extractInline after the header block: it
// reads, decodes, builds and runs the stateful cores in this goroutine
// and renders in another one.
//
// A batch goes to the renderer when it is full, and, for standard input,
// also before each read of the input (ingest.Reader.BeforeRead), since
// that read may wait for frames that have not been captured yet: a live
// capture is rendered as it arrives.
func extractPipelined(ctx context.Context, o *ExtractOptions, r *ingest.Reader, out *sink, dec *decoder.Decoder,
	sf *stateful, prog *progress, start time.Time, verbose *bufio.Writer) (Stats, error) {
	free := make(chan *pipeBatch, pipeBatches)
	full := make(chan *pipeBatch, pipeBatches)
	for range pipeBatches {
		free <- &pipeBatch{arena: make([]byte, 0, pipeArenaBytes), slots: make([]pipeSlot, pipeBatchLen)}
	}
	var rec *batchRecorder
	if sf != nil {
		rec = &batchRecorder{}
		sf.w = rec
	}
	var (
		failed atomic.Bool // the renderer hit a write error: stop reading
		st     Stats       // counted by the renderer: frames written
		werr   error
		done   = make(chan struct{})
	)
	go func() {
		defer close(done)
		for b := range full {
			k := 0
			for i := 0; i < b.n && werr == nil; i++ {
				sl := &b.slots[i]
				werr = out.w.Block(sl.builder.Name(sl.info.Index), &sl.tree)
				for ; werr == nil && k < b.nrec && b.recs[k].slot == i; k++ {
					werr = out.w.Block(b.recs[k].name, &b.recs[k].tree)
				}
				if sl.failed {
					st.DecodeErrors++
				}
				st.Frames++
				st.Bytes += uint64(sl.info.CapLen)
			}
			if werr != nil {
				failed.Store(true)
			}
			b.n, b.arena, b.nrec, b.bins = 0, b.arena[:0], 0, b.bins[:0]
			if cap(b.bins) > pipeBinsKeep {
				b.bins = nil // after a burst of large records
			}
			free <- b
		}
	}()

	var (
		rerr  error
		frame ingest.Frame
		pkt   decoder.Packet
		read  Stats // frames read, for the progress line
		line  []byte
		b     = <-free
	)
	if o.Input == "-" {
		r.BeforeRead(func() {
			if b.n > 0 {
				full <- b
				b = <-free
			}
			if verbose != nil {
				verbose.Flush()
			}
		})
		defer r.BeforeRead(nil)
	}
	for !failed.Load() {
		if read.Frames&63 == 0 {
			if cerr := ctx.Err(); cerr != nil {
				rerr = cerr
				break
			}
		}
		if e := r.Next(&frame); e != nil {
			if e != io.EOF {
				rerr = e
			}
			break
		}
		if b.n == pipeBatchLen || len(b.arena)+len(frame.Data) > cap(b.arena) && b.n > 0 {
			full <- b
			b = <-free
		}
		if len(frame.Data) > cap(b.arena) { // an empty batch: grow its arena
			b.arena = make([]byte, 0, max(2*cap(b.arena), len(frame.Data)))
		}
		off := len(b.arena)
		b.arena = append(b.arena, frame.Data...)
		data := b.arena[off:len(b.arena):len(b.arena)]
		sl := &b.slots[b.n]
		b.n++
		sl.info = reporter.FrameInfoOf(&frame)
		dec.Decode(data, frame.LinkType, &pkt)
		sl.failed = pkt.Failed()
		sl.builder.Frame(&sl.tree, sl.info, &pkt)
		if sf != nil {
			rec.b = b
			sf.add(sl.info, &pkt) // the recorder does not fail; the cores' own errors come from flush
		}
		if verbose != nil {
			line = verboseLine(line[:0], frame.Index, &pkt)
			verbose.Write(line)
		}
		read.Frames++
		prog.tick(&read)
	}
	full <- b
	close(full)
	<-done
	if werr == nil && sf != nil {
		// Every batch is rendered: the last records go straight out.
		sf.w = out.w
		werr = sf.flush()
	}
	prog.done()
	if verbose != nil {
		verbose.Flush()
	}
	if cerr := out.close(); werr == nil {
		werr = cerr
	}
	st.Duration = time.Since(start)
	if werr != nil {
		return st, fmt.Errorf("write report %s: %w", out.name, unwrapWrite(werr))
	}
	return st, rerr
}

// unwrapWrite drops the reporter's "write report" prefix, which the caller
// repeats with the file name.
func unwrapWrite(err error) error {
	if u := errors.Unwrap(err); u != nil && strings.HasPrefix(err.Error(), "write report: ") {
		return u
	}
	return err
}

// verboseLine appends "Frame %3d: chain\n".
func verboseLine(b []byte, index uint64, p *decoder.Packet) []byte {
	b = append(b, "Frame "...)
	for w := digits(index); w < 3; w++ {
		b = append(b, ' ')
	}
	b = strconv.AppendUint(b, index, 10)
	b = append(b, ": "...)
	b = reporter.AppendChain(b, p)
	return append(b, '\n')
}

func digits(v uint64) int {
	n := 1
	for v >= 10 {
		v /= 10
		n++
	}
	return n
}

// progress draws a one-line progress report, rewritten in place.
type progress struct {
	w           io.Writer
	r           *ingest.Reader
	start, last time.Time
	shown       bool
	buf         []byte
}

// progressEvery is the refresh interval of the progress line.
const progressEvery = 250 * time.Millisecond

func newProgress(w io.Writer, r *ingest.Reader) *progress {
	if w == nil {
		return nil
	}
	now := time.Now()
	return &progress{w: w, r: r, start: now, last: now}
}

// tick redraws the line when progressEvery has passed (the clock is read
// every 64 frames only).
func (p *progress) tick(st *Stats) {
	if p == nil || st.Frames&63 != 0 {
		return
	}
	now := time.Now()
	if now.Sub(p.last) < progressEvery {
		return
	}
	p.last = now
	secs := now.Sub(p.start).Seconds()
	b := append(p.buf[:0], '\r')
	b = strconv.AppendUint(b, st.Frames, 10)
	b = append(b, " frames, "...)
	b = appendSize(b, float64(p.r.Offset()))
	b = append(b, " read, "...)
	b = strconv.AppendFloat(b, float64(st.Frames)/secs, 'f', 0, 64)
	b = append(b, " frames/s, "...)
	b = appendSize(b, float64(p.r.Offset())/secs)
	b = append(b, "/s\x1b[K"...)
	p.buf = b
	p.w.Write(b)
	p.shown = true
}

// done clears the line.
func (p *progress) done() {
	if p != nil && p.shown {
		io.WriteString(p.w, "\r\x1b[K")
	}
}

// appendSize appends a byte count with a binary unit ("12.3 MiB").
func appendSize(b []byte, n float64) []byte {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for n >= 1024 && i < len(units)-1 {
		n /= 1024
		i++
	}
	b = strconv.AppendFloat(b, n, 'f', 1, 64)
	b = append(b, ' ')
	return append(b, units[i]...)
}

// Decoded is one frame handed out by Frames: the captured record, its
// decoded layers and, on demand, its report block.
//
// A Decoded and everything it points to (Frame.Data, Packet, the Tree
// returned by Tree) are owned by the iterator and reused for the next
// frame: they are valid only until the loop body returns. Copy what you
// keep (Frame.Data with bytes.Clone, values from the Tree).
type Decoded struct {
	Frame  ingest.Frame
	Packet decoder.Packet
	// Meta is the capture metadata (pcap header, pcapng sections and
	// interfaces read so far), owned by the reader.
	Meta *ingest.Meta

	tree    decoder.Tree
	builder reporter.Builder
	built   bool
}

// Tree builds the frame's report block (as Extract writes it) on first
// call for this frame and returns it.
func (d *Decoded) Tree() *decoder.Tree {
	if !d.built {
		d.builder.Frame(&d.tree, reporter.FrameInfoOf(&d.Frame), &d.Packet)
		d.built = true
	}
	return &d.tree
}

// Chain returns the frame's protocol chain ("Ethernet:IPv4:TCP"); it
// allocates, see reporter.AppendChain for the allocation-free form.
func (d *Decoded) Chain() string { return string(reporter.AppendChain(nil, &d.Packet)) }

// Frames returns an iterator over the decoded frames of the capture at
// path ("-" reads standard input), with the thresholds o:
//
//	for d, err := range services.Frames("in.pcap", decoder.Options{}) {
//		if err != nil {
//			return err // cannot open, or the capture is cut
//		}
//		fmt.Println(d.Frame.Index, d.Chain())
//	}
//
// After every frame has been yielded, a read error (other than the clean
// end) is yielded once as (nil, err) and the iteration ends; an error
// opening the capture is yielded the same way. Decoding failures are not
// errors: see d.Packet.Err. The *Decoded is reused from one frame to the
// next (see Decoded).
func Frames(path string, o decoder.Options) iter.Seq2[*Decoded, error] {
	return func(yield func(*Decoded, error) bool) {
		r, c, err := ingest.Open(path, ingest.ReaderOptions{})
		if err != nil {
			yield(nil, err)
			return
		}
		defer c.Close()
		for d, err := range FramesOf(r, o) {
			if !yield(d, err) {
				return
			}
		}
	}
}

// FramesOf is Frames over an open Reader (which it does not close).
func FramesOf(r *ingest.Reader, o decoder.Options) iter.Seq2[*Decoded, error] {
	return func(yield func(*Decoded, error) bool) {
		dec := decoder.New(o)
		d := &Decoded{Meta: r.Meta()}
		for {
			if err := r.Next(&d.Frame); err != nil {
				if err != io.EOF {
					yield(nil, err)
				}
				return
			}
			dec.Decode(d.Frame.Data, d.Frame.LinkType, &d.Packet)
			d.built = false
			if !yield(d, nil) {
				return
			}
		}
	}
}
