package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/pcapflow/pcapflow/decoder/craft"
)

const generateUsage = `Usage: pcapflow generate -n FRAMES [-seed N] -o FILE [--pcapng] [-flows N]
                         [-max-body BYTES] [-traffic KINDS] [-tag-all]

Write a deterministic synthetic capture: the same options always give a
byte-identical file, and a smaller -n gives a prefix of a larger one. The
traffic is a realistic mix of hundreds of concurrent flows: TCP connections
carrying HTTP (handshake, requests and responses of varied sizes,
retransmissions, out-of-order segments, FIN or RST close), UDP/DNS queries and
answers, IPv6 TCP and UDP, fragmented IPv4 and IPv6 datagrams, 802.1Q and QinQ
tagged frames, ARP, ICMP echo and ICMPv6 neighbour discovery.

Flags:
`

const generateExample = `
Example:
  pcapflow generate -n 1000000 -seed 1 -o bench.pcap
  pcapflow generate -n 200 -seed 2 -flows 6 -max-body 4000 -traffic http -o http.pcap
  pcapflow generate -n 500 -seed 7 -o - --pcapng | tshark -r - -c 5
`

// runGenerate implements "pcapflow generate".
func runGenerate(args []string) error {
	fs := flag.NewFlagSet("generate", flag.ContinueOnError)
	frames := fs.Int("n", 1000, "number of frames to write")
	seed := fs.Int64("seed", 1, "random seed: the same seed gives the same capture")
	out := fs.String("o", "", "output file (\"-\" for stdout); required")
	pcapng := fs.Bool("pcapng", false, "write pcapng with two interfaces (Ethernet and raw IP) instead of pcap\n(implied by an output name ending in .pcapng)")
	flows := fs.Int("flows", 0, "number of concurrent flows (0: the default, 256)")
	maxBody := fs.Int("max-body", 0, "cap on HTTP body sizes in bytes (0: up to 400 KB)")
	traffic := fs.String("traffic", "all", "comma-separated kinds of flows: http, dns, udp, icmp, arp, fragments, all")
	tagAll := fs.Bool("tag-all", false, "put an 802.1Q tag (or a QinQ pair) on every Ethernet frame")
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprint(w, generateUsage)
		fs.PrintDefaults()
		fmt.Fprint(w, generateExample)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("generate: unexpected argument %q", fs.Arg(0))
	}
	if *out == "" {
		fs.Usage()
		return errors.New("generate: -o FILE is required")
	}
	if *frames < 0 {
		return fmt.Errorf("generate: -n %d: frame count must not be negative", *frames)
	}
	kinds, err := parseTraffic(*traffic)
	if err != nil {
		return err
	}
	opts := craft.GenerateOptions{
		Seed:    *seed,
		Frames:  *frames,
		PcapNG:  *pcapng || strings.HasSuffix(strings.ToLower(*out), ".pcapng"),
		Flows:   *flows,
		MaxBody: *maxBody,
		Traffic: kinds,
		TagAll:  *tagAll,
	}
	var w io.Writer = os.Stdout
	var f *os.File
	if *out != "-" {
		if f, err = os.Create(*out); err != nil {
			return fmt.Errorf("generate: %w", err)
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	if err := craft.Generate(bw, opts); err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("generate: write %s: %w", *out, err)
	}
	if f != nil {
		if err := f.Close(); err != nil {
			return fmt.Errorf("generate: close %s: %w", *out, err)
		}
	}
	return nil
}

// parseTraffic parses the -traffic list.
func parseTraffic(s string) (craft.Traffic, error) {
	names := map[string]craft.Traffic{
		"all": craft.TrafficAll, "http": craft.TrafficHTTP, "dns": craft.TrafficDNS, "udp": craft.TrafficUDP,
		"icmp": craft.TrafficICMP, "arp": craft.TrafficARP, "fragments": craft.TrafficFragments,
	}
	var t craft.Traffic
	for _, k := range strings.Split(s, ",") {
		v, ok := names[strings.ToLower(strings.TrimSpace(k))]
		if !ok {
			return 0, fmt.Errorf("generate: -traffic: unknown kind %q (want http, dns, udp, icmp, arp, fragments or all)", k)
		}
		t |= v
	}
	return t, nil
}
