package bus

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pcapflow/pcapflow/decoder"
)

// Stream names and the subjects each stream stores.
const (
	StreamFrames      = "FRAMES"      // pcapflow.frames.>
	StreamDecoded     = "DECODED"     // pcapflow.decoded.> and pcapflow.event.>
	StreamReassembled = "REASSEMBLED" // pcapflow.reassembled.>
	StreamFlows       = "FLOWS"       // pcapflow.flows.>
	// StreamReports holds the report-done notices (pcapflow.report.>); the
	// report files themselves are in the object store bucket ReportBucket.
	StreamReports = "REPORTS"
)

// Subject roots.
const (
	Root            = "pcapflow"
	FramesRoot      = "pcapflow.frames"
	DecodedRoot     = "pcapflow.decoded"
	EventRoot       = "pcapflow.event"
	ReassembledRoot = "pcapflow.reassembled"
	FlowsRoot       = "pcapflow.flows"
	ReportRoot      = "pcapflow.report"
)

// Buckets: leases (partition and capture ownership, with a TTL), the
// capture registry, and the report files.
const (
	LeaseBucket    = "pcapflow-leases"
	CaptureBucket  = "pcapflow-captures"
	ReportBucket   = "pcapflow-reports"
	DecoderDurable = "decoder"
)

// StreamSubjects returns the subjects of a stream.
func StreamSubjects(stream string) []string {
	switch stream {
	case StreamFrames:
		return []string{FramesRoot + ".>"}
	case StreamDecoded:
		return []string{DecodedRoot + ".>", EventRoot + ".>"}
	case StreamReassembled:
		return []string{ReassembledRoot + ".>"}
	case StreamFlows:
		return []string{FlowsRoot + ".>"}
	case StreamReports:
		return []string{ReportRoot + ".>"}
	}
	return nil
}

// Streams lists every stream pcapflow uses.
var Streams = []string{StreamFrames, StreamDecoded, StreamReassembled, StreamFlows, StreamReports}

// Kinds of FRAMES messages (the last subject token).
const (
	KindMeta  = "meta"
	KindBatch = "batch"
	KindEnd   = "end"
)

// FramesMeta, FramesBatch and FramesEnd are the FRAMES subjects of a
// capture: pcapflow.frames.<capture>.meta|batch|end.
func FramesMeta(capture string) string  { return FramesRoot + "." + capture + "." + KindMeta }
func FramesBatch(capture string) string { return FramesRoot + "." + capture + "." + KindBatch }
func FramesEnd(capture string) string   { return FramesRoot + "." + capture + "." + KindEnd }

// Frames returns the wildcard for every FRAMES subject of a capture.
func Frames(capture string) string { return FramesRoot + "." + capture + ".>" }

// Decoded is pcapflow.decoded.<capture>.<partition>.
func Decoded(capture string, partition int) string {
	return DecodedRoot + "." + capture + "." + strconv.Itoa(partition)
}

// DecodedAll is the wildcard for every partition of a capture.
func DecodedAll(capture string) string { return DecodedRoot + "." + capture + ".*" }

// Event is pcapflow.event.<capture>.<level>.<proto>, e.g.
// pcapflow.event.c1.transport.tcp; subscribe to pcapflow.event.*.transport.tcp
// for every TCP event of every capture or pcapflow.event.c1.> for every
// event of one capture.
func Event(capture string, p decoder.Proto) string {
	lv := p.Level().String()
	if lv == "" {
		lv = "other"
	}
	return EventRoot + "." + capture + "." + lv + "." + p.Key()
}

// Reassembled is pcapflow.reassembled.<capture>.<partition>.
func Reassembled(capture string, partition int) string {
	return ReassembledRoot + "." + capture + "." + strconv.Itoa(partition)
}

// Flows is pcapflow.flows.<capture>.<partition>.
func Flows(capture string, partition int) string {
	return FlowsRoot + "." + capture + "." + strconv.Itoa(partition)
}

// ReportDoneSubject is pcapflow.report.<capture>.done.
func ReportDoneSubject(capture string) string { return ReportRoot + "." + capture + ".done" }

// ReportObject is the object store name of a capture's report in a format.
// ext is the file extension, with or without its dot ("json").
func ReportObject(capture, ext string) string {
	return capture + "/report." + strings.TrimPrefix(ext, ".")
}

// MsgID builds the deterministic Nats-Msg-Id of an output: the capture,
// the generation (bumped by replay), the stage, the input sequence and the
// partition (or another discriminator), so that reprocessing an input
// republishes byte-identical messages under the same ids, which the server
// discards as duplicates.
func MsgID(capture string, gen uint32, stage string, seq uint64, part string) string {
	var b strings.Builder
	b.Grow(len(capture) + len(stage) + len(part) + 24)
	b.WriteString(capture)
	b.WriteByte(':')
	b.WriteString(strconv.FormatUint(uint64(gen), 10))
	b.WriteByte(':')
	b.WriteString(stage)
	b.WriteByte(':')
	b.WriteString(strconv.FormatUint(seq, 10))
	if part != "" {
		b.WriteByte(':')
		b.WriteString(part)
	}
	return b.String()
}

// ValidCapture checks a capture id: 1 to 64 characters of a-z, 0-9, '-'
// and '_' (a single subject token, lower case).
func ValidCapture(id string) error {
	if id == "" || len(id) > 64 {
		return fmt.Errorf("capture id %q: want 1 to 64 characters", id)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("capture id %q: only a-z, 0-9, '-' and '_' are allowed", id)
		}
	}
	return nil
}

// CaptureOf returns the capture token of a pcapflow subject.
func CaptureOf(subject string) string {
	parts := strings.SplitN(subject, ".", 4)
	if len(parts) < 3 {
		return ""
	}
	return parts[2]
}

// PartitionOf returns the partition for a symmetric flow hash.
func PartitionOf(hash uint32, partitions int) int {
	if partitions <= 1 {
		return 0
	}
	return int(hash % uint32(partitions))
}

// AddrHash is the partitioning hash of a decoded frame: FNV-1a over the
// two addresses of its outermost IPv4 or IPv6 header, smaller address
// first, so that both directions of a flow, every fragment of a datagram
// (whose later fragments carry only that header) and every flow of one
// tunnel share a partition. ok is false for a frame without IP.
func AddrHash(p *decoder.Packet) (h uint32, ok bool) {
	for i := 0; i < p.N; i++ {
		l := &p.Layers[i]
		b := p.Data[l.Off:l.End]
		var a, c []byte
		switch {
		case l.Proto == decoder.ProtoIPv4 && len(b) >= 20:
			a, c = b[12:16], b[16:20]
		case l.Proto == decoder.ProtoIPv6 && len(b) >= 40:
			a, c = b[8:24], b[24:40]
		default:
			continue
		}
		if string(c) < string(a) {
			a, c = c, a
		}
		h = 2166136261
		for _, x := range [2][]byte{a, c} {
			for _, y := range x {
				h ^= uint32(y)
				h *= 16777619
			}
		}
		return h, true
	}
	return 0, false
}
