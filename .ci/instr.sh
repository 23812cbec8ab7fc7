#!/usr/bin/env bash
# Counts the instructions per frame of decoding alone and of decoding
# followed by the stateful cores (tracer BenchmarkInstr under valgrind's
# callgrind: one pass over the generated frames, the collector off), and
# prints each mode's ratio to decoding alone. Instruction counts are the
# same however busy the machine is, so this measures changes to the hot
# paths where timings on a shared machine cannot; they do not count cache
# misses (BenchmarkPipeline times those).
#
# Environment: FRAMES (default 100000), MODES (default "decode frag tcp
# trace full"). Needs Go and valgrind (apt-get install valgrind).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
FRAMES=${FRAMES:-100000}
MODES=${MODES:-decode frag tcp trace full}
command -v valgrind >/dev/null || { echo "instr.sh: valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/pcapflow-instr.XXXXXX")
trap 'rm -rf "$work"' EXIT
go test -c -o "$work/tracer.test" ./tracer
declare -A per
for mode in $MODES; do
  # Async preemption signals upset callgrind; one P and no collector keep
  # the count to the pass itself.
  GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 GOGC=off PCAPFLOW_BENCH_FRAMES=$FRAMES PCAPFLOW_INSTR_MODE=$mode \
    valgrind --tool=callgrind --toggle-collect='*instrPass*' --callgrind-out-file="$work/$mode.out" \
    "$work/tracer.test" -test.run '^$' -test.bench '^BenchmarkInstr$' -test.benchtime 1x >"$work/$mode.log" 2>&1 ||
    { cat "$work/$mode.log" >&2; exit 1; }
  total=$(awk '/^summary:/ { print $2 } /^totals:/ { print $2 }' "$work/$mode.out" | head -1)
  per[$mode]=$(awk -v t="$total" -v n="$FRAMES" 'BEGIN { printf "%.0f", t / n }')
done
printf '%-8s %14s %18s\n' mode instr/frame "ratio to decode"
for mode in $MODES; do
  r=""
  if [ -n "${per[decode]:-}" ]; then r=$(awk -v d="${per[decode]}" -v m="${per[$mode]}" 'BEGIN { printf "%.3f", d / m }'); fi
  printf '%-8s %14s %18s\n' "$mode" "${per[$mode]}" "$r"
done
