#!/usr/bin/env bash
# Benchmarks pcapflow on a generated capture and prints a table:
#  - decode: pcapflow vs gopacket's DecodingLayerParser, same frames, same run
#  - read: the ingest reader, alone and followed by each decoder
#  - extract -f json of the whole capture: frames/s and peak RSS
#  - tshark -T json on a prefix of the same capture (when tshark is installed)
#
# Environment: FRAMES (default 1000000), TSHARK_FRAMES (default 20000),
# BENCHTIME (go test -benchtime, default 3000000x), COUNT (go test -count,
# default 3; the table shows medians), KEEP=1 keeps the files.
# Needs Go; tshark and GNU time (/usr/bin/time) are optional.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

FRAMES=${FRAMES:-1000000}
TSHARK_FRAMES=${TSHARK_FRAMES:-20000}
BENCHTIME=${BENCHTIME:-3000000x}
COUNT=${COUNT:-3}
work=$(mktemp -d "${TMPDIR:-/tmp}/pcapflow-bench.XXXXXX")
if [ "${KEEP:-0}" != 1 ]; then trap 'rm -rf "$work"' EXIT; fi

now() { date +%s.%N; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
# metric LINES UNIT: the median over go test -bench lines (one per -count)
# of the value printed before UNIT.
metric() {
  awk -v unit="$2" '{ for (i = 2; i <= NF; i++) if ($i == unit) print $(i-1) }' <<<"$1" |
    sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}
# peak_rss FILE: the "Maximum resident set size" of a GNU time -v report, in MiB.
peak_rss() { awk -F: '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$1"; }
timed() { # timed REPORT CMD...: runs CMD under GNU time -v when available.
  local report=$1; shift
  if [ -x /usr/bin/time ]; then /usr/bin/time -v -o "$report" "$@"; else : >"$report"; "$@"; fi
}

echo "== build"
go build -o "$work/pcapflow" ./cmd/pcapflow
pcapflow=$work/pcapflow

echo "== generate $FRAMES frames"
t0=$(now)
timed "$work/gen.time" "$pcapflow" generate -n "$FRAMES" -seed 1 -o "$work/bench.pcap"
t1=$(now)
gen_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
size_mb=$(awk -v b="$(stat -c %s "$work/bench.pcap")" 'BEGIN { printf "%.0f", b / 1048576 }')
echo "   $size_mb MiB in ${gen_s}s"

echo "== decode and read benchmarks (benchtime $BENCHTIME, count $COUNT)"
bench=$(PCAPFLOW_BENCH_CAPTURE="$work/bench.pcap" go test ./decoder -run '^$' \
  -bench '^Benchmark(Decode|DecodeRatio|Read|ReadDecode)$' -benchtime "$BENCHTIME" -count "$COUNT")
echo "$bench"
line() { grep -E "^$1(-[0-9]+)?[[:space:]]" <<<"$bench" || true; }
p_line=$(line BenchmarkDecode/pcapflow); g_line=$(line BenchmarkDecode/gopacket)
pc_line=$(line BenchmarkDecode/pcapflow-cold); gc_line=$(line BenchmarkDecode/gopacket-cold)
r_line=$(line BenchmarkDecodeRatio); rd_line=$(line BenchmarkRead)
rdp_line=$(line BenchmarkReadDecode/pcapflow); rdg_line=$(line BenchmarkReadDecode/gopacket)

echo "== extract -f json of the whole capture"
t0=$(now)
# To stdout, discarded: the same sink as tshark's below, and no GBs on disk.
timed "$work/extract.time" "$pcapflow" extract "$work/bench.pcap" -f json -o - >/dev/null
t1=$(now)
ext_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
ext_fps=$(rate "$FRAMES" "$ext_s")
ext_rss=$(peak_rss "$work/extract.time")

tshark_fps="" tshark_s="" sub_fps="" ratio_tshark=""
if command -v tshark >/dev/null 2>&1; then
  n=$(( TSHARK_FRAMES < FRAMES ? TSHARK_FRAMES : FRAMES ))
  echo "== tshark -T json on the first $n frames (pcapflow on the same frames for comparison)"
  # A smaller -n gives a prefix of the same capture.
  "$pcapflow" generate -n "$n" -seed 1 -o "$work/sub.pcap"
  t0=$(now); tshark -r "$work/sub.pcap" -T json >/dev/null 2>"$work/tshark.err"; t1=$(now)
  tshark_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
  tshark_fps=$(rate "$n" "$tshark_s")
  t0=$(now); "$pcapflow" extract "$work/sub.pcap" -f json -o - >/dev/null; t1=$(now)
  sub_fps=$(rate "$n" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
  ratio_tshark=$(awk -v a="$ext_fps" -v b="$tshark_fps" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')
else
  echo "== tshark not installed: skipping the tshark comparison"
fi

echo
echo "== results ($FRAMES frames, $size_mb MiB, $(nproc) cores, $(go env GOVERSION))"
printf '%-44s %14s %14s %10s\n' "measure" "pcapflow" "baseline" "ratio"
printf '%-44s %14s %14s %10s\n' "decode ns/frame (frames in cache)" "$(metric "$p_line" ns/frame)" "$(metric "$g_line" ns/frame)" "$(awk -v a="$(metric "$p_line" ns/frame)" -v b="$(metric "$g_line" ns/frame)" 'BEGIN { if (a > 0) printf "%.2f", b / a }')"
printf '%-44s %14s %14s %10s\n' "decode ns/frame (cold, whole capture)" "$(metric "$pc_line" ns/frame)" "$(metric "$gc_line" ns/frame)" "$(awk -v a="$(metric "$pc_line" ns/frame)" -v b="$(metric "$gc_line" ns/frame)" 'BEGIN { if (a > 0) printf "%.2f", b / a }')"
printf '%-44s %14s %14s %10s\n' "decode frames/s, same loop (median ratio)" "$(metric "$r_line" pcapflow-frames/s)" "$(metric "$r_line" gopacket-frames/s)" "$(metric "$r_line" ratio)"
printf '%-44s %14s %14s %10s\n' "  ratio of summed times" "" "" "$(metric "$r_line" total-ratio)"
printf '%-44s %14s %14s %10s\n' "decode allocs/frame" "$(metric "$p_line" allocs/op)" "$(metric "$g_line" allocs/op)" ""
printf '%-44s %14s %14s %10s\n' "read frames/s (ingest reader, in memory)" "$(metric "$rd_line" frames/s)" "" ""
printf '%-44s %14s %14s %10s\n' "read + decode ns/frame (same reader)" "$(metric "$rdp_line" ns/frame)" "$(metric "$rdg_line" ns/frame)" "$(awk -v a="$(metric "$rdp_line" ns/frame)" -v b="$(metric "$rdg_line" ns/frame)" 'BEGIN { if (a > 0) printf "%.2f", b / a }')"
printf '%-44s %14s %14s %10s\n' "generate seconds" "$gen_s" "" ""
printf '%-44s %14s %14s %10s\n' "generate peak RSS MiB" "$(peak_rss "$work/gen.time")" "" ""
printf '%-44s %14s %14s %10s\n' "extract -f json frames/s (whole capture)" "$ext_fps" "" ""
if [ -n "$tshark_fps" ]; then
  printf '%-44s %14s %14s %10s\n' "extract -f json vs tshark -T json frames/s" "$ext_fps" "$tshark_fps" "$ratio_tshark"
  printf '%-44s %14s %14s %10s\n' "  same $n-frame prefix, frames/s" "$sub_fps" "$tshark_fps" "$(awk -v a="$sub_fps" -v b="$tshark_fps" 'BEGIN { if (b > 0) printf "%.1f", a / b }')"
fi
printf '%-44s %14s %14s %10s\n' "extract peak RSS MiB" "${ext_rss:-n/a}" "" ""
