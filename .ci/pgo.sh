#!/usr/bin/env bash
# Regenerates cmd/pcapflow/default.pgo, the CPU profile that go build uses
# for profile-guided optimization of the pcapflow binary (Go's -pgo=auto):
# the merged profiles of plain extract and of extract with reassembly and
# tracing on the generated 1,000,000-frame capture. Run it after changing
# a hot path; a stale profile only loses part of the gain.
#
# Environment: FRAMES (default 1000000). Needs Go.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
FRAMES=${FRAMES:-1000000}
work=$(mktemp -d "${TMPDIR:-/tmp}/pcapflow-pgo.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Profiles of a binary built without the profile it is about to replace.
go build -pgo=off -o "$work/pcapflow" ./cmd/pcapflow
"$work/pcapflow" generate -n "$FRAMES" -seed 1 -o "$work/bench.pcap"
PCAPFLOW_CPUPROFILE="$work/plain.prof" "$work/pcapflow" extract "$work/bench.pcap" -f json -o /dev/null
PCAPFLOW_CPUPROFILE="$work/stateful.prof" "$work/pcapflow" extract "$work/bench.pcap" -f json -o /dev/null \
  --ipv4 --ipv6 --tcp --trace
go tool pprof -proto "$work/plain.prof" "$work/stateful.prof" >cmd/pcapflow/default.pgo
echo "wrote cmd/pcapflow/default.pgo ($(stat -c %s cmd/pcapflow/default.pgo) bytes)"
