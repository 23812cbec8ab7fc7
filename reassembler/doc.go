// Package reassembler reassembles fragmented IPv4 and IPv6 datagrams and
// TCP streams, and analyses the application messages (HTTP/1.x, HTTP/2
// frames in cleartext, FTP control) the streams carry. It is a synchronous core: feed decoded frames
// with Add, move capture time forward with Advance, end with Flush; records
// come out through a callback. It knows nothing about the bus: the
// reassembler service wraps it, and the inline engine calls it directly.
//
//	r := reassembler.New(reassembler.Config{Strict: true})
//	for each frame: r.Add(fi, &packet, emit)
//	at each batch boundary: r.Advance(lastSec, lastNsec, lastIndex, emit)
//	at the end: r.Flush(emit)
//
// # Policies
//
// Fragments: RFC 815 hole descriptors, keys as RFC 791/8200 define them
// (never the IPv6 flow label), offsets in bytes (IPv4's field ×8), first
// wins on overlap, overlaps and duplicates counted and compared, a 30 s
// capture-time timeout from the first fragment (Linux's ipfrag_time),
// caps per datagram and in total with the oldest datagram dropped first.
// A complete datagram's payload is decoded again from its transport
// header, and a complete TCP datagram continues into stream reassembly.
//
// TCP: per direction, unwrapped sequence numbers, first wins on overlap
// (differing bytes reported), bounded out-of-order buffer, gaps recorded
// and never zero-filled; a direction keeps its first MaxStreamBytes bytes
// and always its length and SHA-256.
//
// A stream is complete when each direction that carried bytes was seen
// from its SYN, has no gap, and reached its FIN, or the connection was
// reset. Application analysis (Config.Analyse, Analyse, AnalysePayload)
// reads HTTP/1.x messages, HTTP/2 frames (h2c, header blocks decoded:
// HPACK, RFC 7541), TLS records (the handshake in clear: hellos, JA3,
// certificates) and FTP control messages from the reassembled bytes.
//
// # Ownership
//
// A record is valid only during the emit call that receives it: it lends
// the Reassembler's working buffers (a Datagram's Payload and Chunks, a
// Stream direction's Data, and the Messages analysed from it, whose Body
// may alias Data), which are reused for other datagrams and streams once
// emit returns. A consumer that keeps a record past emit keeps
// Record.Clone(); encoding it (msgpack) or writing its report block
// (Fields) inside emit needs no copy. No record aliases a frame's bytes,
// unless Config.StableFrames says the caller keeps every frame valid and
// unchanged until Flush returns (frames held in memory, or read in place
// from a mapped file: ingest.NewReaderBytes, ingest.OpenMapped). A stream
// direction then references its in-order and buffered bytes in the frames
// instead of copying them, and holds them as pieces: StreamDir.Data is nil
// until StreamDir.Bytes joins them (or Stream.JoinData, into a buffer the
// consumer reuses); Fields, Clone, the msgpack encoding and Analyse join
// them themselves. The records are otherwise identical, and so are the
// counters and memory figures (pieces count as the buffer a copy would
// take, so the caps end the same streams). That saves the copies for a
// consumer that does not need every byte joined; one that renders every
// byte (a report) only moves the copy from reassembly to rendering.
//
// Strict (PyPCAPKit's --strict) also emits what could not be completed,
// marked incomplete: a datagram with the holes left, a stream with its gaps
// or without handshake or close. Without Strict only complete datagrams
// and streams are emitted; the rest are counted in Stats.
//
// # Determinism
//
// Every record carries At, the frame index at which it was emitted (the
// completing frame, or the index given to Advance), and First, the first
// frame of its datagram or stream. Records of one call come out sorted by
// (At, First, Seq), so merging the records of several partitions by that
// key gives the same sequence whatever the partitioning — provided the
// total memory caps, which apply per Reassembler, are not reached. Records
// are msgpack-encodable (github.com/vmihailenco/msgpack/v5) as they are.
//
// # Cost
//
// Fragment reassembly costs little next to decoding. TCP stream
// reassembly copies every payload byte into its direction's buffer, which
// is contiguous so that the record lends it; the buffer grows 4× at a
// time (2 KiB to 2 MiB, or MaxStreamBytes), and each growth copies what it
// holds: between a third of the stream and 4/3 of it (0.7× on the
// generated capture). Buffers and frame lists of ended streams and
// datagrams are pooled (per Reassembler, outside the memory caps: at most
// 32 MiB of stream bytes, 8 MiB of segment and frame lists, 4 MiB of
// datagram bytes), so that a warm Reassembler neither allocates nor
// clears them, and a segment of an established stream allocates nothing;
// ended connections are reused too. Connections are found in an
// open-addressing table by a seeded hash of the 5-tuple, and a segment
// that brings the next bytes of its direction and fits the buffers as
// they are takes a short path. The payload copy (with the growth copies
// and, until the pools are warm, the clearing of new buffers), bound by
// memory bandwidth, is about half of the per-segment cost.
// Streams longer than MaxStreamBytes are SHA-256 hashed as they grow,
// which dominates for bulk transfers.
package reassembler
