// Package bus is pcapflow's event contract: the streams and subjects, the
// event types with their msgpack encoding (github.com/vmihailenco/msgpack/v5),
// the report-tree codec, message ids and flow partitioning. It has no NATS
// import: bus/jsbus implements it on NATS JetStream and bus/embedded runs
// the server in process. docs/events.md documents the same contract for
// subscribers in other languages.
//
// # Streams and subjects
//
// Subjects are lower-case, broad to narrow, with the capture id as the
// third token:
//
//	FRAMES       pcapflow.frames.<capture>.meta|batch|end    source of truth
//	DECODED      pcapflow.decoded.<capture>.<partition>      per-partition batches
//	             pcapflow.event.<capture>.<level>.<proto>    per-protocol events
//	REASSEMBLED  pcapflow.reassembled.<capture>.<partition>
//	FLOWS        pcapflow.flows.<capture>.<partition>
//	REPORTS      pcapflow.report.<capture>.done
//
// Every stream keeps messages by limits (never work-queue) on file storage;
// DECODED, REASSEMBLED, FLOWS and REPORTS are projections that replay
// rebuilds from FRAMES.
//
// # Batches, order and idempotence
//
// Ingest cuts a capture into batches numbered from 1 (Seq): a batch ends
// after every frame whose index is a multiple of AdvanceEvery (the clock
// period of the stateful stages, as in the inline engine) or at 256 KiB of
// frame data. The decoder turns every input batch into exactly one
// DecodedBatch per partition, empty or not, and the end marker into one
// DecodedBatch per partition with End set; a consumer of a partition thus
// restores input order from Mark.Seq alone, and knows when it has seen
// everything. Frames are routed by AddrHash, symmetric over the two
// addresses of the outermost IP header, so both directions of a flow, all
// the fragments of a datagram (later fragments carry only that header) and
// all the flows of a tunnel share a partition (frames without IP go to
// partition 0).
//
// Every message is published with acknowledgement under a Nats-Msg-Id
// built by MsgID from its input (capture, generation, stage, input
// sequence, partition): reprocessing an input republishes the same ids and
// the server discards the duplicates; consumers also drop any sequence they
// already hold.
//
// # Report trees
//
// A decoded frame carries no report tree: its bytes and layer spans are
// what consumers rebuild the decoder.Packet (DecodedFrame.Packet) and the
// report block (reporter.Builder) from. Report trees travel in the
// per-protocol events (LayerEvent.Fields: one layer's own fields,
// EncodeLayerFields), encoded by EncodeTree's rules: objects as msgpack
// maps and arrays as arrays, in order; IPv4, IPv6, MAC and Enum values as
// the strings the reports print; bytes as bin; timestamps as extension 1
// (ExtTime). DecodeTree rebuilds a Tree that renders byte for byte as the
// original.
package bus
