package bus

import (
	"errors"
	"fmt"

	"github.com/vmihailenco/msgpack/v5"

	"github.com/pcapflow/pcapflow/decoder"
	"github.com/pcapflow/pcapflow/ingest"
	"github.com/pcapflow/pcapflow/reassembler"
	"github.com/pcapflow/pcapflow/reporter"
	"github.com/pcapflow/pcapflow/tracer"
)

// Version is the schema version every event carries in its "v" field.
// Consumers reject events with a higher version than they know, and read
// every version from MinVersion on.
//
// Version 2 (from version 1): a DecodedFrame no longer carries its report
// tree (consumers rebuild it from the frame bytes and layer spans with
// reporter.Builder; a version-1 "tree" is ignored), and a LayerEvent's
// fields hold the layer's own fields only, without the objects of the
// layers it carries.
const Version = 2

// MinVersion is the oldest schema version this build reads.
const MinVersion = 1

// AdvanceEvery is the period, in frames, of the capture-time clock of the
// stateful stages: they call Advance after every frame whose index is a
// multiple of it (Mark.Advance), as the inline engine does.
const AdvanceEvery = 256

// DefaultPartitions is the number of flow partitions of a capture unless its
// options say otherwise.
const DefaultPartitions = 8

// MaxPartitions bounds the partitions of one capture.
const MaxPartitions = 256

// Options are the processing options of one capture, fixed by whoever
// submits it and carried in its CaptureMeta, so that every service
// processes the capture the same way whatever its own configuration.
type Options struct {
	// Layer and Protocol are the decoding thresholds by name ("transport",
	// "tcp"), empty for none.
	Layer    string `msgpack:"layer"`
	Protocol string `msgpack:"protocol"`
	// Partitions is the number of flow partitions (DefaultPartitions when 0).
	Partitions int `msgpack:"partitions"`
	// Formats are the report formats the reporter renders ("json", "plist",
	// "tree").
	Formats []string `msgpack:"formats"`
	// Reassembly, when set, turns the reassembler stage on for the
	// capture with this configuration; Trace the tracer stage (its Sink
	// does not travel: see FlowFiles).
	Reassembly *reassembler.Config `msgpack:"reassembly,omitempty"`
	Trace      *tracer.Config      `msgpack:"trace,omitempty"`
	// FlowFiles says the submitter writes per-flow files from FLOWS
	// (extract --trace-fout with a bus engine): the tracer stage then
	// records each flow's file frames (file_frames), which costs it
	// memory and time that other captures do not pay.
	FlowFiles bool `msgpack:"flow_files,omitempty"`
	// Extra holds stage options this schema version does not name, so
	// that services of one version pass them through untouched.
	Extra map[string]string `msgpack:"extra,omitempty"`
}

// DecoderOptions returns the decoding thresholds.
func (o *Options) DecoderOptions() (decoder.Options, error) {
	var d decoder.Options
	if o.Layer != "" {
		lv, ok := decoder.ParseLevel(o.Layer)
		if !ok {
			return d, fmt.Errorf("unknown layer %q", o.Layer)
		}
		d.Layer = lv
	}
	if o.Protocol != "" {
		p, ok := decoder.ParseProto(o.Protocol)
		if !ok {
			return d, fmt.Errorf("unknown protocol %q", o.Protocol)
		}
		d.Protocol = p
	}
	return d, nil
}

// NumPartitions returns the partition count with its default applied.
func (o *Options) NumPartitions() int {
	if o.Partitions <= 0 {
		return DefaultPartitions
	}
	return o.Partitions
}

// Validate checks the options.
func (o *Options) Validate() error {
	if o.Partitions < 0 || o.Partitions > MaxPartitions {
		return fmt.Errorf("partitions %d out of range 1..%d", o.Partitions, MaxPartitions)
	}
	_, err := o.DecoderOptions()
	return err
}

// CaptureMeta opens a capture on FRAMES (subject FramesMeta): what the
// capture is and how to process it. It is published, and stored, before
// any frame batch of the capture.
type CaptureMeta struct {
	V       int     `msgpack:"v"`
	Capture string  `msgpack:"capture"`
	Options Options `msgpack:"options"`
	Meta    Meta    `msgpack:"meta"`
}

// Meta mirrors ingest.Meta on the wire.
type Meta struct {
	Format       string      `msgpack:"format"` // "pcap" or "pcapng"
	Name         string      `msgpack:"name"`
	BigEndian    bool        `msgpack:"big_endian"`
	Magic        []byte      `msgpack:"magic"`
	VersionMajor uint16      `msgpack:"version_major"`
	VersionMinor uint16      `msgpack:"version_minor"`
	Nanosecond   bool        `msgpack:"nanosecond"`
	ThisZone     int32       `msgpack:"thiszone"`
	SigFigs      uint32      `msgpack:"sigfigs"`
	SnapLen      uint32      `msgpack:"snaplen"`
	LinkType     uint32      `msgpack:"linktype"`
	Sections     []Section   `msgpack:"sections"`
	Interfaces   []Interface `msgpack:"interfaces"`
}

// Section mirrors ingest.Section.
type Section struct {
	BigEndian    bool     `msgpack:"big_endian"`
	VersionMajor uint16   `msgpack:"version_major"`
	VersionMinor uint16   `msgpack:"version_minor"`
	Length       int64    `msgpack:"length"`
	Options      []Option `msgpack:"options"`
}

// Interface mirrors ingest.Interface.
type Interface struct {
	Section  int      `msgpack:"section"`
	ID       uint32   `msgpack:"id"`
	LinkType uint32   `msgpack:"linktype"`
	SnapLen  uint32   `msgpack:"snaplen"`
	Digits   uint8    `msgpack:"digits"`
	TSResol  uint8    `msgpack:"tsresol"`
	TSOffset int64    `msgpack:"tsoffset"`
	Name     string   `msgpack:"name"`
	Options  []Option `msgpack:"options"`
}

// Option mirrors ingest.Option.
type Option struct {
	Code  uint16 `msgpack:"code"`
	Value []byte `msgpack:"value"`
}

// MetaOf converts capture metadata to its wire form.
func MetaOf(m *ingest.Meta) Meta {
	w := Meta{Format: m.Format.String(), Name: m.Name, BigEndian: m.BigEndian, Magic: append([]byte(nil), m.Magic[:]...),
		VersionMajor: m.VersionMajor, VersionMinor: m.VersionMinor, Nanosecond: m.Nanosecond, ThisZone: m.ThisZone,
		SigFigs: m.SigFigs, SnapLen: m.SnapLen, LinkType: m.LinkType}
	for _, s := range m.Sections {
		w.Sections = append(w.Sections, Section{BigEndian: s.BigEndian, VersionMajor: s.VersionMajor,
			VersionMinor: s.VersionMinor, Length: s.Length, Options: optionsOf(s.Options)})
	}
	for _, i := range m.Interfaces {
		w.Interfaces = append(w.Interfaces, Interface{Section: i.Section, ID: i.ID, LinkType: i.LinkType, SnapLen: i.SnapLen,
			Digits: i.Digits, TSResol: i.TSResol, TSOffset: i.TSOffset, Name: i.Name, Options: optionsOf(i.Options)})
	}
	return w
}

func optionsOf(o []ingest.Option) []Option {
	var w []Option
	for _, x := range o {
		w = append(w, Option{Code: x.Code, Value: x.Value})
	}
	return w
}

// IngestMeta converts wire metadata back.
func (w *Meta) IngestMeta() *ingest.Meta {
	m := &ingest.Meta{Name: w.Name, BigEndian: w.BigEndian, VersionMajor: w.VersionMajor, VersionMinor: w.VersionMinor,
		Nanosecond: w.Nanosecond, ThisZone: w.ThisZone, SigFigs: w.SigFigs, SnapLen: w.SnapLen, LinkType: w.LinkType}
	switch w.Format {
	case "pcap":
		m.Format = ingest.FormatPcap
	case "pcapng":
		m.Format = ingest.FormatPcapNG
	}
	copy(m.Magic[:], w.Magic)
	for _, s := range w.Sections {
		m.Sections = append(m.Sections, ingest.Section{BigEndian: s.BigEndian, VersionMajor: s.VersionMajor,
			VersionMinor: s.VersionMinor, Length: s.Length, Options: ingestOptions(s.Options)})
	}
	for _, i := range w.Interfaces {
		m.Interfaces = append(m.Interfaces, ingest.Interface{Section: i.Section, ID: i.ID, LinkType: i.LinkType, SnapLen: i.SnapLen,
			Digits: i.Digits, TSResol: i.TSResol, TSOffset: i.TSOffset, Name: i.Name, Options: ingestOptions(i.Options)})
	}
	return m
}

func ingestOptions(o []Option) []ingest.Option {
	var m []ingest.Option
	for _, x := range o {
		m = append(m, ingest.Option{Code: x.Code, Value: x.Value})
	}
	return m
}

// Frame is one captured frame on the wire.
type Frame struct {
	Index     uint64 `msgpack:"index"`
	Sec       int64  `msgpack:"sec"`
	Nsec      uint32 `msgpack:"nsec"`
	Digits    uint8  `msgpack:"digits"`
	CapLen    uint32 `msgpack:"caplen"`
	OrigLen   uint32 `msgpack:"origlen"`
	LinkType  uint32 `msgpack:"linktype"`
	Interface uint32 `msgpack:"iface"`
	Data      []byte `msgpack:"data"`
}

// FrameOf converts a frame to its wire form (Data aliases f.Data).
func FrameOf(f *ingest.Frame) Frame {
	return Frame{Index: f.Index, Sec: f.Sec, Nsec: f.Nsec, Digits: f.Digits, CapLen: f.CapLen, OrigLen: f.OrigLen,
		LinkType: f.LinkType, Interface: f.Interface, Data: f.Data}
}

// Info returns the report's frame info.
func (f *Frame) Info() reporter.FrameInfo {
	return reporter.FrameInfo{Index: f.Index, Sec: f.Sec, Nsec: f.Nsec, Digits: f.Digits, CapLen: f.CapLen, OrigLen: f.OrigLen}
}

// FrameBatch is a batch of consecutive frames of one capture on FRAMES
// (subject FramesBatch). Seq numbers the batches of a capture from 1.
type FrameBatch struct {
	V       int     `msgpack:"v"`
	Capture string  `msgpack:"capture"`
	Seq     uint64  `msgpack:"seq"`
	Frames  []Frame `msgpack:"frames"`
}

// CaptureEnd closes a capture on FRAMES (subject FramesEnd). Seq is the
// sequence one past the last batch (Batches+1), so that it orders after
// every batch. Err is the reading error that ended the capture early (a
// truncated file), empty for a clean end.
type CaptureEnd struct {
	V       int    `msgpack:"v"`
	Capture string `msgpack:"capture"`
	Seq     uint64 `msgpack:"seq"`
	Frames  uint64 `msgpack:"frames"`
	Batches uint64 `msgpack:"batches"`
	// Sec and Nsec are the timestamp of the last frame.
	Sec  int64  `msgpack:"sec"`
	Nsec uint32 `msgpack:"nsec"`
	Err  string `msgpack:"err,omitempty"`
	// Meta is the capture metadata as it stands at the end (pcapng
	// interfaces may follow the first frames).
	Meta *Meta `msgpack:"meta,omitempty"`
}

// Mark is the position of the end of an input batch: its sequence, and the
// index and timestamp of its last frame (what stateful stages advance
// their capture-time clocks to).
type Mark struct {
	Seq   uint64 `msgpack:"seq"`
	Index uint64 `msgpack:"index"`
	Sec   int64  `msgpack:"sec"`
	Nsec  uint32 `msgpack:"nsec"`
	// Advance is set when Index is a multiple of AdvanceEvery: stateful
	// stages advance their clocks to (Sec, Nsec) after the batch.
	Advance bool `msgpack:"advance"`
}

// DecodedBatch is the share of one input batch that falls in one partition,
// on DECODED (subject Decoded). Every input batch yields exactly one
// DecodedBatch per partition, empty or not, and the capture end yields one
// per partition with End set, so that a partition's consumer restores
// input order from Mark.Seq alone.
type DecodedBatch struct {
	V          int            `msgpack:"v"`
	Capture    string         `msgpack:"capture"`
	Gen        uint32         `msgpack:"gen"`
	Partition  int            `msgpack:"partition"`
	Partitions int            `msgpack:"partitions"`
	Mark       Mark           `msgpack:"mark"`
	End        *CaptureEnd    `msgpack:"end"`
	Frames     []DecodedFrame `msgpack:"frames"`
}

// DecodedFrame is one decoded frame: the frame, its layer spans, its
// decoding error and flags, so that consumers rebuild the decoder.Packet
// (Packet) without decoding again, and the report block from it
// (reporter.Builder gives the same tree the decoder would have built).
type DecodedFrame struct {
	Frame
	Chain    string      `msgpack:"chain"`
	Layers   []LayerSpan `msgpack:"layers"`
	Error    *LayerError `msgpack:"error"`
	Fragment bool        `msgpack:"fragment"`
	Stopped  bool        `msgpack:"stopped"`
}

// LayerSpan is a decoder.Layer on the wire: an array
// [proto key, offset, header length, end].
type LayerSpan decoder.Layer

// LayerError is a decoding error on the wire.
type LayerError struct {
	Layer  string `msgpack:"layer"`  // report key of the failed layer
	Offset int    `msgpack:"offset"` // its offset in the frame
	// Kind is "truncated", "malformed", "unsupported" or "" (other).
	Kind   string `msgpack:"kind"`
	Reason string `msgpack:"reason"` // the full reason, as the report says it
}

// TreeValue carries a report tree (see EncodeTree). A decoded TreeValue
// owns its Tree.
type TreeValue struct{ T *decoder.Tree }

var (
	_ msgpack.CustomEncoder = TreeValue{}
	_ msgpack.CustomDecoder = (*TreeValue)(nil)
	_ msgpack.CustomEncoder = LayerSpan{}
	_ msgpack.CustomDecoder = (*LayerSpan)(nil)
)

func (v TreeValue) EncodeMsgpack(e *msgpack.Encoder) error {
	if v.T == nil {
		return e.EncodeNil()
	}
	return EncodeTree(e, v.T)
}

func (v *TreeValue) DecodeMsgpack(d *msgpack.Decoder) error {
	if v.T == nil {
		v.T = &decoder.Tree{}
	}
	return DecodeTree(d, v.T)
}

func (l LayerSpan) EncodeMsgpack(e *msgpack.Encoder) error {
	if err := e.EncodeArrayLen(4); err != nil {
		return err
	}
	if err := e.EncodeString(l.Proto.Key()); err != nil {
		return err
	}
	for _, x := range [3]uint32{l.Off, l.Hdr, l.End} {
		if err := e.EncodeUint(uint64(x)); err != nil {
			return err
		}
	}
	return nil
}

func (l *LayerSpan) DecodeMsgpack(d *msgpack.Decoder) error {
	n, err := d.DecodeArrayLen()
	if err != nil {
		return err
	}
	if n != 4 {
		return fmt.Errorf("decode layer: want 4 elements, have %d", n)
	}
	key, err := d.DecodeString()
	if err != nil {
		return err
	}
	p, ok := protoByKey[key]
	if !ok {
		return fmt.Errorf("decode layer: unknown protocol %q", key)
	}
	l.Proto = p
	for _, x := range []*uint32{&l.Off, &l.Hdr, &l.End} {
		if *x, err = d.DecodeUint32(); err != nil {
			return err
		}
	}
	return nil
}

var protoByKey = func() map[string]decoder.Proto {
	m := map[string]decoder.Proto{}
	for _, p := range decoder.Protos() {
		m[p.Key()] = p
	}
	return m
}()

// DecodedFrameOf builds the wire form of a decoded frame. It aliases the
// frame bytes: encode it before they change.
func DecodedFrameOf(f *ingest.Frame, p *decoder.Packet) DecodedFrame {
	df := DecodedFrame{Frame: FrameOf(f), Fragment: p.Fragment, Stopped: p.Stopped}
	df.Chain = string(reporter.AppendChain(nil, p))
	df.Layers = make([]LayerSpan, p.N)
	for i := 0; i < p.N; i++ {
		df.Layers[i] = LayerSpan(p.Layers[i])
	}
	df.Error = ErrorOf(p)
	return df
}

// ErrorOf returns the wire form of p's decoding error, nil if none.
func ErrorOf(p *decoder.Packet) *LayerError {
	if !p.Failed() {
		return nil
	}
	return &LayerError{Layer: p.Err.Proto.Key(), Offset: p.Err.Offset, Kind: errKind(p.Err.Err), Reason: p.Err.Err.Error()}
}

func errKind(err error) string {
	switch {
	case errors.Is(err, decoder.ErrTruncated):
		return "truncated"
	case errors.Is(err, decoder.ErrMalformed):
		return "malformed"
	case errors.Is(err, decoder.ErrUnsupported):
		return "unsupported"
	}
	return ""
}

// wireError is a decoding error rebuilt from the wire: its message is the
// original reason and it unwraps to the sentinel its kind names.
type wireError struct {
	reason   string
	sentinel error
}

func (e *wireError) Error() string { return e.reason }
func (e *wireError) Unwrap() error { return e.sentinel }

// Packet rebuilds the decoder.Packet of the frame in p (which aliases
// f.Data): the same spans, error and flags the decoder produced.
func (f *DecodedFrame) Packet(p *decoder.Packet) error {
	if len(f.Layers) > decoder.MaxLayers {
		return fmt.Errorf("frame %d: %d layers, more than %d", f.Index, len(f.Layers), decoder.MaxLayers)
	}
	// Field by field, as the decoder fills a Packet: the layers past N are
	// not part of it (clearing all of them cost 2 KiB of stores a frame).
	p.Data, p.LinkType, p.N, p.Fragment, p.Stopped = f.Data, f.LinkType, len(f.Layers), f.Fragment, f.Stopped
	p.Err = decoder.Error{}
	n := uint32(len(f.Data))
	for i, l := range f.Layers {
		if l.End > n || l.Off > l.End || l.Hdr > l.End-l.Off {
			return fmt.Errorf("frame %d: layer %d span out of the frame", f.Index, i)
		}
		p.Layers[i] = decoder.Layer(l)
	}
	if f.Error != nil {
		var s error
		switch f.Error.Kind {
		case "truncated":
			s = decoder.ErrTruncated
		case "malformed":
			s = decoder.ErrMalformed
		case "unsupported":
			s = decoder.ErrUnsupported
		}
		pr := protoByKey[f.Error.Layer]
		p.Err = decoder.Error{Proto: pr, Offset: f.Error.Offset, Err: &wireError{reason: f.Error.Reason, sentinel: s}}
	}
	return nil
}

// LayerEvents are the events of one protocol in one input batch, on DECODED
// (subject Event): one per frame that has a layer of that protocol, in
// frame order.
type LayerEvents struct {
	V       int          `msgpack:"v"`
	Capture string       `msgpack:"capture"`
	Gen     uint32       `msgpack:"gen"`
	Seq     uint64       `msgpack:"seq"`
	Proto   string       `msgpack:"proto"`
	Level   string       `msgpack:"level"`
	Events  []LayerEvent `msgpack:"events"`
}

// LayerEvent is one layer of one frame: where it is and its own report
// fields: the layer's object in the frame's report tree without the
// objects of the layers it carries (see EncodeLayerFields).
type LayerEvent struct {
	Index  uint64    `msgpack:"index"`
	Sec    int64     `msgpack:"sec"`
	Nsec   uint32    `msgpack:"nsec"`
	Chain  string    `msgpack:"chain"`
	Layer  LayerSpan `msgpack:"layer"`
	Fields TreeValue `msgpack:"fields"`
}

// RecordBatch carries the records a stateful stage (reassembler, tracer)
// emitted for one input batch of one partition, on REASSEMBLED or FLOWS.
// Like DecodedBatch there is one per partition per input batch, empty or
// not; End is set on the one of the capture's end marker, which also
// carries the partition's statistics (reassembler.Stats).
type RecordBatch struct {
	V         int                `msgpack:"v"`
	Capture   string             `msgpack:"capture"`
	Gen       uint32             `msgpack:"gen"`
	Stage     string             `msgpack:"stage"` // "reassembler" or "tracer"
	Partition int                `msgpack:"partition"`
	Mark      Mark               `msgpack:"mark"`
	End       bool               `msgpack:"end"`
	Records   []WireRecord       `msgpack:"records"`
	Stats     msgpack.RawMessage `msgpack:"stats,omitempty"`
}

// Phases of a record: emitted by Add (for a frame), by Advance (at a batch
// boundary) or by Flush (at the end of the capture). The reporter orders
// the records of one frame by (phase, stage, the stage's own order), which
// is the order of the inline engine.
const (
	PhaseAdd     = 0
	PhaseAdvance = 1
	PhaseFlush   = 2
)

// WireRecord is one record: its phase and the core's record (a
// reassembler.Record or a tracer.Flow, msgpack-encoded with their tags).
type WireRecord struct {
	Phase  uint8              `msgpack:"phase"`
	Record msgpack.RawMessage `msgpack:"record"`
}

// ReportFile names one file of a finished report in the object store.
type ReportFile struct {
	Format string `msgpack:"format"`
	Object string `msgpack:"object"`
	Size   int64  `msgpack:"size"`
}

// ReportDone is published by the reporter when the reports of a capture
// are complete (subject ReportDone).
type ReportDone struct {
	V       int    `msgpack:"v"`
	Capture string `msgpack:"capture"`
	Gen     uint32 `msgpack:"gen"`
	Frames  uint64 `msgpack:"frames"`
	// DecodeErrors counts the frames with a layer that failed to decode.
	DecodeErrors uint64       `msgpack:"decode_errors"`
	Err          string       `msgpack:"err,omitempty"`
	Files        []ReportFile `msgpack:"files"`
}

// CheckVersion rejects events of a schema this code does not know.
func CheckVersion(v int) error {
	if v < MinVersion || v > Version {
		return fmt.Errorf("event schema version %d not supported (this build reads %d..%d)", v, MinVersion, Version)
	}
	return nil
}
