package services

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/pcapflow/pcapflow/bus"
	"github.com/pcapflow/pcapflow/bus/jsbus"
	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/reporter"
)

// reportOutput receives the blocks of one capture's report.
type reportOutput interface {
	header(t *decoder.Tree) error
	block(name string, t *decoder.Tree) error
	// finish ends the report: with a nil error it completes and publishes
	// it, otherwise it discards what was written.
	finish(rs *reportStats, err error) error
}

// reportStats are what the reporter counted.
type reportStats struct {
	Frames       uint64
	Bytes        uint64
	DecodeErrors uint64
	// ReadErr is the reading error that ended the capture early (from the
	// end marker), "" for a clean end.
	ReadErr string
}

// renderCapture renders the report of one capture from FRAMES (its
// metadata) and DECODED (its frames, all partitions), in frame order. It
// returns once the end marker of every partition has been merged.
func renderCapture(ctx context.Context, c *jsbus.Conn, st *CaptureState, out reportOutput,
	onFrame func(f *bus.DecodedFrame)) (*reportStats, error) {
	capture := st.Capture
	// The registry entry precedes the metadata: wait for it.
	var meta bus.CaptureMeta
	err := readOrdered(ctx, c, bus.StreamFrames, []string{bus.FramesMeta(capture)}, 1<<20, func(m jetstream.Msg) (bool, error) {
		if err := msgpack.Unmarshal(m.Data(), &meta); err != nil {
			return false, fmt.Errorf("report %s: bad metadata: %w", capture, err)
		}
		return true, bus.CheckVersion(meta.V)
	})
	if err != nil {
		return nil, err
	}
	var tree decoder.Tree
	reporter.BuildHeader(&tree, meta.Meta.IngestMeta())
	if err := out.header(&tree); err != nil {
		return nil, err
	}

	parts := st.Options.NumPartitions()
	ro := make([]*reorder[*bus.DecodedBatch], parts)
	for i := range ro {
		ro[i] = newReorder[*bus.DecodedBatch]()
	}
	rs := &reportStats{}
	var merged []*bus.DecodedFrame
	var name []byte
	finished := false
	err = readOrdered(ctx, c, bus.StreamDecoded, []string{bus.DecodedAll(capture)}, 8<<20, func(m jetstream.Msg) (bool, error) {
		b := &bus.DecodedBatch{}
		if err := msgpack.Unmarshal(m.Data(), b); err != nil {
			return false, fmt.Errorf("report %s: bad decoded batch on %s: %w", capture, m.Subject(), err)
		}
		if err := bus.CheckVersion(b.V); err != nil {
			return false, err
		}
		if b.Gen != st.Gen {
			return false, nil // an older generation, before a replay
		}
		if b.Partition < 0 || b.Partition >= parts || b.Partitions != parts {
			return false, fmt.Errorf("report %s: partition %d/%d does not match the capture's %d", capture, b.Partition, b.Partitions, parts)
		}
		ro[b.Partition].put(b.Mark.Seq, b)
		for {
			for _, r := range ro {
				if !r.ready() {
					return false, nil
				}
			}
			merged = merged[:0]
			var end *bus.CaptureEnd
			for _, r := range ro {
				pb := r.pop()
				if pb.End != nil {
					end = pb.End
				}
				for i := range pb.Frames {
					merged = append(merged, &pb.Frames[i])
				}
			}
			slices.SortFunc(merged, func(a, b *bus.DecodedFrame) int {
				switch {
				case a.Index < b.Index:
					return -1
				case a.Index > b.Index:
					return 1
				}
				return 0
			})
			for _, f := range merged {
				if f.Index != rs.Frames+1 {
					return false, fmt.Errorf("report %s: frame %d follows frame %d", capture, f.Index, rs.Frames)
				}
				name = reporter.FrameName(name[:0], f.Index)
				if err := out.block(string(name), f.Tree.T); err != nil {
					return false, err
				}
				rs.Frames++
				rs.Bytes += uint64(f.CapLen)
				if f.Error != nil {
					rs.DecodeErrors++
				}
				if onFrame != nil {
					onFrame(f)
				}
			}
			if end != nil {
				if end.Frames != rs.Frames {
					return false, fmt.Errorf("report %s: the capture has %d frames, the report %d", capture, end.Frames, rs.Frames)
				}
				rs.ReadErr = end.Err
				finished = true
				return true, nil
			}
		}
	})
	if err == nil && !finished {
		err = fmt.Errorf("report %s: decoded stream ended early", capture)
	}
	if err != nil {
		return nil, err
	}
	return rs, nil
}

// ReporterConfig configures the reporter service.
type ReporterConfig struct {
	// OutDir, when set, receives every report as OutDir/<capture>/report.<ext>.
	OutDir string
	// NoStore keeps reports out of the object store (bus.ReportBucket).
	NoStore bool
	// Owner names this instance in leases (random by default).
	Owner    string
	LeaseTTL time.Duration
}

// Reporter is the reporting stage: one unit per capture.
type Reporter struct {
	c   *jsbus.Conn
	cfg ReporterConfig
	log *slog.Logger
	s   *scheduler
}

// NewReporter returns a reporter service on c.
func NewReporter(c *jsbus.Conn, cfg ReporterConfig) *Reporter {
	r := &Reporter{c: c, cfg: cfg, log: c.Log.With("stage", "reporter")}
	r.s = newScheduler(c, schedulerConfig{stage: "reporter", run: r.unit, owner: cfg.Owner, ttl: cfg.LeaseTTL})
	return r
}

// Run serves until ctx ends.
func (r *Reporter) Run(ctx context.Context) error { return r.s.Run(ctx) }

func (r *Reporter) unit(ctx context.Context, st *CaptureState, _ int) error {
	out, err := newStoreOutput(ctx, r.c, st, r.cfg)
	if err != nil {
		return err
	}
	rs, err := renderCapture(ctx, r.c, st, out, nil)
	return out.finish(rs, err)
}

// storeOutput renders a report in every format the capture asks for, into
// temporary files, then publishes them: renamed into OutDir and/or
// uploaded to the object store, and announced on bus.ReportDoneSubject.
type storeOutput struct {
	c       *jsbus.Conn
	st      *CaptureState
	cfg     ReporterConfig
	dir     string
	tmpDir  bool
	formats []reporter.Format
	files   []*os.File
	ws      []reporter.Writer
}

// Formats returns the report formats of a capture (JSON by default).
func Formats(o *bus.Options) ([]reporter.Format, error) {
	if len(o.Formats) == 0 {
		return []reporter.Format{reporter.JSON}, nil
	}
	var fs []reporter.Format
	for _, s := range o.Formats {
		f, err := reporter.ParseFormat(s)
		if err != nil {
			return nil, err
		}
		fs = append(fs, f)
	}
	return fs, nil
}

func newStoreOutput(ctx context.Context, c *jsbus.Conn, st *CaptureState, cfg ReporterConfig) (*storeOutput, error) {
	fs, err := Formats(&st.Options)
	if err != nil {
		return nil, fmt.Errorf("report %s: %w", st.Capture, err)
	}
	o := &storeOutput{c: c, st: st, cfg: cfg, formats: fs}
	if cfg.OutDir != "" {
		o.dir = filepath.Join(cfg.OutDir, st.Capture)
		if err := os.MkdirAll(o.dir, 0o755); err != nil {
			return nil, fmt.Errorf("report %s: %w", st.Capture, err)
		}
	} else {
		if o.dir, err = os.MkdirTemp("", "pcapflow-report-"); err != nil {
			return nil, err
		}
		o.tmpDir = true
	}
	for _, f := range fs {
		fh, err := os.CreateTemp(o.dir, ".report-*.tmp")
		if err != nil {
			o.discard()
			return nil, fmt.Errorf("report %s: %w", st.Capture, err)
		}
		o.files = append(o.files, fh)
		o.ws = append(o.ws, reporter.NewWriter(fh, f))
	}
	return o, nil
}

func (o *storeOutput) header(t *decoder.Tree) error { return o.block(reporter.HeaderName, t) }

func (o *storeOutput) block(name string, t *decoder.Tree) error {
	for _, w := range o.ws {
		if err := w.Block(name, t); err != nil {
			return err
		}
	}
	return nil
}

func (o *storeOutput) discard() {
	for _, f := range o.files {
		f.Close()
		os.Remove(f.Name())
	}
	if o.tmpDir {
		os.RemoveAll(o.dir)
	}
}

func (o *storeOutput) finish(rs *reportStats, err error) error {
	if err != nil {
		o.discard()
		return err
	}
	defer func() {
		if o.tmpDir {
			os.RemoveAll(o.dir)
		}
	}()
	done := bus.ReportDone{V: bus.Version, Capture: o.st.Capture, Gen: o.st.Gen, Frames: rs.Frames, DecodeErrors: rs.DecodeErrors, Err: rs.ReadErr}
	ctx := context.Background()
	var store jetstream.ObjectStore
	if !o.cfg.NoStore {
		if _, _, store, err = o.c.Buckets(ctx); err != nil {
			o.discard()
			return err
		}
	}
	for i, w := range o.ws {
		if err := w.Close(); err != nil {
			o.discard()
			return err
		}
		f := o.files[i]
		if err := f.Sync(); err != nil {
			o.discard()
			return err
		}
		size, _ := f.Seek(0, io.SeekEnd)
		format := o.formats[i].String()
		obj := bus.ReportObject(o.st.Capture, o.formats[i].Ext())
		if store != nil {
			if _, err := f.Seek(0, io.SeekStart); err != nil {
				o.discard()
				return err
			}
			if _, err := store.Put(ctx, jetstream.ObjectMeta{Name: obj}, f); err != nil {
				o.discard()
				return fmt.Errorf("report %s: store %s: %w", o.st.Capture, obj, err)
			}
		}
		f.Close()
		if o.tmpDir {
			os.Remove(f.Name())
		} else if err := os.Rename(f.Name(), filepath.Join(o.dir, path.Base(obj))); err != nil {
			return err
		}
		done.Files = append(done.Files, bus.ReportFile{Format: format, Object: obj, Size: size})
	}
	data, _ := msgpack.Marshal(&done)
	pub := o.c.NewPublisher()
	_ = pub.Publish(bus.ReportDoneSubject(o.st.Capture), bus.MsgID(o.st.Capture, o.st.Gen, "report", 0, ""), data)
	wctx, cancel := context.WithTimeout(ctx, 4*o.c.Timeout())
	defer cancel()
	return pub.Wait(wctx)
}

// WaitReport waits for the report of capture (generation gen) and returns
// its notice.
func WaitReport(ctx context.Context, c *jsbus.Conn, capture string, gen uint32) (*bus.ReportDone, error) {
	var done *bus.ReportDone
	err := readOrdered(ctx, c, bus.StreamReports, []string{bus.ReportDoneSubject(capture)}, 1<<20, func(m jetstream.Msg) (bool, error) {
		var d bus.ReportDone
		if err := msgpack.Unmarshal(m.Data(), &d); err != nil {
			return false, err
		}
		if d.Gen == gen {
			done = &d
			return true, nil
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	return done, nil
}

// FetchReport copies the report object of one format to w.
func FetchReport(ctx context.Context, c *jsbus.Conn, done *bus.ReportDone, format string, w io.Writer) error {
	_, _, store, err := c.Buckets(ctx)
	if err != nil {
		return err
	}
	for _, f := range done.Files {
		if f.Format == format {
			r, err := store.Get(ctx, f.Object)
			if err != nil {
				return fmt.Errorf("fetch %s: %w", f.Object, err)
			}
			defer r.Close()
			n, err := io.Copy(w, r)
			if err != nil {
				return fmt.Errorf("fetch %s: %w", f.Object, err)
			}
			if n != f.Size {
				return fmt.Errorf("fetch %s: %d bytes, want %d", f.Object, n, f.Size)
			}
			return nil
		}
	}
	return errors.New("report of capture " + done.Capture + " has no " + format + " file (formats: " + strconv.Itoa(len(done.Files)) + ")")
}
