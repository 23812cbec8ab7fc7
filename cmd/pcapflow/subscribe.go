package main

import (
	"bufio"
	"flag"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go"

	"github.com/pcapflow/pcapflow/bus"
)

const subscribeUsage = `Usage: pcapflow subscribe SUBJECT [flags]

Print the live events on SUBJECT (NATS wildcards allowed) as JSON lines,
{"subject": ..., "event": {...}}, so that "| jq" works. The subjects and
every event's fields are documented in docs/events.md.

Flags:
`

const subscribeExample = `
Example:
  pcapflow subscribe 'pcapflow.event.*.transport.tcp' | jq '.event.events[].index'
  pcapflow subscribe 'pcapflow.event.mycapture.>'
  pcapflow subscribe 'pcapflow.report.*.done'
`

// runSubscribe implements "pcapflow subscribe".
func runSubscribe(args []string) error {
	fs := flag.NewFlagSet("subscribe", flag.ContinueOnError)
	nf := addNATSFlags(fs)
	count := fs.Int("n", 0, "exit after this many messages (0: until interrupted)")
	if help, err := parseFlags(fs, reorderArgs(args), subscribeUsage, subscribeExample); help || err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"one subject is required"}
	}
	ctx, cancel := signalContext()
	defer cancel()
	c, err := nf.connect(ctx, "pcapflow-subscribe", 30e9, nil)
	if err != nil {
		return err
	}
	defer c.NC.Close()
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	var mu sync.Mutex
	n := 0
	var line []byte
	sub, err := c.NC.Subscribe(fs.Arg(0), func(m *nats.Msg) {
		mu.Lock()
		defer mu.Unlock()
		line = append(line[:0], `{"subject":`...)
		line = fmt.Appendf(line, "%q", m.Subject)
		line = append(line, `,"event":`...)
		var err error
		if line, err = bus.AppendJSON(line, m.Data); err != nil {
			line = fmt.Appendf(line[:0], `{"subject":%q,"error":%q}`, m.Subject, err.Error())
		} else {
			line = append(line, '}')
		}
		line = append(line, '\n')
		w.Write(line)
		w.Flush()
		n++
		if *count > 0 && n >= *count {
			cancel()
		}
	})
	if err != nil {
		return err
	}
	sub.SetPendingLimits(-1, 256<<20)
	<-ctx.Done()
	return sub.Unsubscribe()
}
