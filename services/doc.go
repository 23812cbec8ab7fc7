// Package services composes pcapflow's cores (ingest, decoder, reporter,
// reassembler, tracer) into the operations a user runs, and is the Go API
// for library users.
//
// # Extracting a capture
//
// Extract is PyPCAPKit's extract: it reads a capture, decodes every frame
// and writes a JSON, plist or tree-text report (one document, or one file
// per frame), streaming in constant memory:
//
//	st, err := services.Extract(ctx, services.ExtractOptions{
//		Input:  "in.pcap",
//		Output: "out.json",
//		Format: reporter.JSON,
//	})
//
// ExtractOptions.Engine chooses how the cores run. "inline" (the default)
// chains them with reused frame buffers, packets, report trees and output
// buffers: decoding and reporting allocate nothing per frame but the
// decoder's error messages. On two or more cores it runs in
// two goroutines: one reads and decodes a batch of frames, builds their
// report blocks (and verbose lines) and feeds the reassembler and tracer
// (whose record blocks travel with the batch, right after their frame),
// while the other renders the previous batch. Rendering is the larger
// share of the work, so the stateful cores run beside decoding. On
// standard input (perhaps a live stream) a batch also goes to the
// renderer before every read of the input, which may wait: a live capture
// is reported as it arrives.
// Engines over the NATS bus, where each core runs as a service, produce
// byte-identical reports.
//
// Feed reads and decodes a capture for callers that run their own cores
// (the reassemble, trace and analyse commands), a batch ahead in a second
// goroutine for a file.
//
// # Iterating decoded frames
//
// Frames (and FramesOf, over an open ingest.Reader) is a range-over-func
// iterator of *Decoded values: the captured frame, its decoded layers
// (decoder.Packet) and, on demand, its report block (Decoded.Tree). The
// iterator reuses one Decoded, so a value is valid only during its loop
// iteration; copy what you keep.
//
// # Errors
//
// A capture that is not a capture, or that cannot be opened, fails at
// once with an *ingest.Error (or the os error) naming the file. A capture
// cut short yields the frames before the cut, then an *ingest.Error with
// the frame number and byte offset. A frame whose layer fails to decode
// is data, not an error: its report says which layer, at which offset and
// why (decoder.Packet.Err).
package services
