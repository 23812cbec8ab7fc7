// Package tracer traces flows: bidirectional TCP, UDP and ICMP echo
// conversations keyed by their canonical 5-tuple (or, as an option,
// PyPCAPKit's one-direction TCP flows), with a record per flow after
// Zeek's conn.log: originator and responder, first and last timestamps,
// packets, wire bytes and payload bytes per direction, conn_state and
// history, why the flow ended, and its frame numbers.
//
// Like the reassembler it is a synchronous core: Add each decoded frame,
// Advance capture time at each ingest batch boundary, Flush at the end;
// finished flows come out through a callback, each with At (the frame
// index at which it ended: the frame that ended it, or the index given to
// Advance) and First (its first frame), so that the flows of several
// partitioned Tracers merged by (At, First) equal one Tracer's output.
//
// A flow ends by idle timeout (capture time: 5 min TCP, 1 min UDP and
// ICMP, as Zeek), CloseDelay (5 s) after FIN both ways or RST — long
// enough to count the last ACK as tshark does — at once when a new SYN
// reuses the 5-tuple, by eviction when MaxFlows is reached, or at the end
// of the capture.
//
// History letters (upper case from the originator, lower case from the
// responder, each recorded once): S SYN, H SYN+ACK, A pure ACK, D payload,
// T retransmitted payload, W zero window, F FIN, R RST, Q SYN with FIN or
// RST, and a leading ^ when the first packet seen was a SYN+ACK and the
// originator was taken to be its receiver.
//
// Fragmented datagrams are reassembled inside the Tracer (package
// reassembler, IPv4 and IPv6 only): the frame that completes a datagram
// counts as the flow's packet, with that frame's length, as tshark's
// conversation table counts it; with a Sink, every fragment still goes
// into the flow's file. The source-routed IPv4 destination (LSRR/SSRR) is
// the route's last address, as tshark shows it.
//
// FileSink writes per-flow files (pcap with the original bytes and
// timestamps, or JSON/plist/tree reports) with a bounded number of open
// files.
package tracer
