// Command pcapflow reads packet captures, decodes every frame layer by layer
// and writes reports; see "pcapflow --help".
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
)

// commands is the subcommand table: adding a subcommand is one line.
var commands = map[string]struct {
	run  func(args []string) error
	help string
}{
	"extract":    {runExtract, "decode a capture into a JSON, plist or tree report (PyPCAPKit's extract)"},
	"generate":   {runGenerate, "write a deterministic synthetic capture"},
	"reassemble": {runReassemble, "reassemble IPv4/IPv6 datagrams or TCP streams (PyPCAPKit's reassemble)"},
	"trace":      {runTrace, "trace flows into per-flow pcap or report files (PyPCAPKit's trace)"},
	"analyse":    {runAnalyse, "report the HTTP, HTTP/2, TLS and FTP messages of a capture's TCP streams or of a payload file"},
	"serve":      {runServe, "run an embedded NATS server with every stage (the all-in-one)"},
	"service":    {runService, "run one stage (ingest, decoder, reassembler, tracer, reporter) against NATS"},
	"health":     {runHealth, "check that a NATS server with JetStream answers (exit status)"},
	"ingest":     {runIngest, "publish a capture into a running deployment"},
	"subscribe":  {runSubscribe, "print live bus events as JSON lines"},
	"replay":     {runReplay, "rebuild a capture's projections and reports from FRAMES"},
	"fetch":      {runFetch, "download a capture's reports from the deployment"},
}

// Standard streams, replaced by in-process tests.
var (
	stdin  io.Reader = os.Stdin
	stdout io.Writer = os.Stdout
	stderr io.Writer = os.Stderr
)

// usageError is a command-line mistake: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func main() { os.Exit(run(os.Args[1:])) }

// run executes one command line and returns the exit status: 0 success,
// 1 runtime or capture error, 2 usage error.
func run(args []string) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 {
			return run([]string{args[1], "--help"})
		}
		usage(stdout)
		return 0
	}
	cmd, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "pcapflow: unknown command %q\nRun 'pcapflow --help' for the list of commands.\n", name)
		return 2
	}
	stop, err := startProfiles()
	if err != nil {
		fmt.Fprintf(stderr, "pcapflow: %v\n", err)
		return 1
	}
	err = cmd.run(args[1:])
	stop()
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "pcapflow %s: %s\nRun 'pcapflow %s --help' for usage.\n", name, ue.msg, name)
		return 2
	}
	fmt.Fprintf(stderr, "pcapflow: %v\n", err)
	return 1
}

func usage(w io.Writer) {
	fmt.Fprint(w, `pcapflow reads pcap and pcapng captures (files or a stream on stdin), decodes
every frame layer by layer and writes reports, like PyPCAPKit.

Usage: pcapflow COMMAND [arguments]

Commands:
`)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].help)
	}
	fmt.Fprint(w, `
Run 'pcapflow COMMAND --help' for the flags of a command.

Examples:
  pcapflow extract in.pcap -o out.json          # JSON report of every frame
  pcapflow extract in.pcap -t -o - | less       # tree text on stdout
  tcpdump -w - | pcapflow extract - -v -o live.json
  pcapflow generate -n 1000 -seed 1 -o sample.pcap

Exit status: 0 success, 1 runtime or capture error, 2 usage error.
`)
}
