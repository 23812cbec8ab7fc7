#!/usr/bin/env bash
# End-to-end and fault test of compose.yaml under a real Docker engine.
#
# Builds the binary and the image exactly as docs/deploy.md says, starts the
# deployment with 3 decoders under a unique project name, submits corpus and
# testdata captures and checks that every report is byte-identical to
# "pcapflow extract --engine inline" of the same file with the same options.
# Then, each during a large generated capture: kill a decoder, restart the
# NATS server, scale the decoders 3 -> 1 -> 4; the reports must still be
# identical. A service with a wrong or a missing password must log a clear
# error. Finally the 3-node cluster variant (docs/deploy/compose.cluster.yaml)
# replaces the deployment: a capture during which one of the three NATS
# nodes is killed must still give the identical report. Everything
# (containers, networks, volumes, the image) is removed on exit, also when
# a step fails.
#
# Environment: E2E_FRAMES (frames of the large capture, default 100000),
# E2E_KEEP=1 keeps the work folder.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
T0=$(date +%s.%N)

if docker compose version >/dev/null 2>&1; then DC0=(docker compose); else DC0=(docker-compose); fi

PROJECT="pcapflowe2e$$$(date +%s | tail -c 5)"
WORK=$(mktemp -d /tmp/pcapflow-e2e.XXXXXX)
BIN="$ROOT/.build/pcapflow"
FRAMES=${E2E_FRAMES:-100000}

export COMPOSE_PROJECT_NAME=$PROJECT
export PCAPFLOW_TAG="e2e-$PROJECT"
export PCAPFLOW_CAPTURES="$WORK/captures" PCAPFLOW_REPORTS="$WORK/reports"
export PCAPFLOW_UID PCAPFLOW_GID
PCAPFLOW_UID=$(id -u)
PCAPFLOW_GID=$(id -g)
# A free loopback port for the NATS client port (fixed for the whole run,
# so that the host's clients reconnect after a NATS restart).
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for _ in $(seq 50); do
  PORT=$((20000 + RANDOM % 40000))
  port_free "$PORT" && break
done
export PCAPFLOW_NATS_BIND="127.0.0.1:$PORT"
NATS_URL="nats://127.0.0.1:$PORT"

# Random passwords in an env file of our own (a user's .env is not touched).
ENVFILE="$WORK/env"
for role in INGEST DECODER REASSEMBLER TRACER REPORTER CLIENT; do
  echo "PCAPFLOW_${role}_PASSWORD=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
done >"$ENVFILE"
echo "PCAPFLOW_CLUSTER_PASSWORD=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" >>"$ENVFILE"
chmod 600 "$ENVFILE"
CLIENT_PASSWORD=$(sed -n 's/^PCAPFLOW_CLIENT_PASSWORD=//p' "$ENVFILE")

# A compose override with two misconfigured decoders (wrong and missing
# password), started only for the credentials check.
cat >"$WORK/badauth.yaml" <<'EOF'
services:
  badpass:
    image: pcapflow:${PCAPFLOW_TAG}
    command: ["service", "decoder"]
    restart: "no"
    networks: [bus]
    environment:
      PCAPFLOW_NATS_URL: nats://nats:4222
      PCAPFLOW_NATS_USER: decoder
      PCAPFLOW_NATS_PASSWORD: not-the-password
  nopass:
    image: pcapflow:${PCAPFLOW_TAG}
    command: ["service", "decoder"]
    restart: "no"
    networks: [bus]
    environment:
      PCAPFLOW_NATS_URL: nats://nats:4222
EOF

DC=("${DC0[@]}" --env-file "$ENVFILE" -f "$ROOT/compose.yaml")
dc() { "${DC[@]}" "$@"; }

log() { printf '%s [%6.1fs] %s\n' "$(date -u +%H:%M:%S)" "$(echo "$(date +%s.%N) - $T0" | bc)" "$*" >&2; }
fail() {
  log "FAIL: $*"
  exit 1
}

teardown() {
  rc=$?
  set +e
  for j in $(jobs -p); do kill "$j" 2>/dev/null; done
  if [ "$rc" -ne 0 ]; then
    log "failure: last service logs"
    dc -f "$WORK/badauth.yaml" logs --no-color --tail 15 2>&1 | tail -n 120
  fi
  log "teardown"
  dc -f "$WORK/badauth.yaml" down -v --remove-orphans --timeout 10 >/dev/null 2>&1
  docker image rm "pcapflow:$PCAPFLOW_TAG" >/dev/null 2>&1
  left=$(docker ps -aq --filter "label=com.docker.compose.project=$PROJECT" | wc -l)
  [ "$left" -eq 0 ] || log "warning: $left containers left"
  if [ "${E2E_KEEP:-}" = 1 ]; then log "work folder kept: $WORK"; else rm -rf "$WORK"; fi
  log "total $(printf '%.0f' "$(echo "$(date +%s.%N) - $T0" | bc)")s, exit $rc"
  exit "$rc"
}
trap teardown EXIT
trap 'exit 130' INT TERM

log "project $PROJECT, work $WORK, nats $NATS_URL, ${DC0[*]}"

# --- build, exactly as docs/deploy.md
log "build binary"
mkdir -p .build
CGO_ENABLED=0 go build -trimpath -o .build/pcapflow ./cmd/pcapflow
log "build image pcapflow:$PCAPFLOW_TAG"
dc build --quiet nats >/dev/null 2>&1 || dc build nats

mkdir -p "$WORK/captures" "$WORK/reports" "$WORK/ref" "$WORK/got"

log "up (3 decoders)"
dc up -d
dc ps

# ingest_capture FILE ID [ingest flags]: submits FILE as capture ID from the
# host as the client user, waits for its report and fetches it into
# $WORK/got/ID. Prints the seconds from submission to report ready.
# (TIMEOUT bounds each command: 60 s for a small capture, 300 s for a large)
client() {
  timeout "${TIMEOUT:-300}" env PCAPFLOW_NATS_URL="$NATS_URL" PCAPFLOW_NATS_USER=client PCAPFLOW_NATS_PASSWORD="$CLIENT_PASSWORD" "$BIN" "$@"
}
submit() {
  local file=$1 id=$2
  shift 2
  local s e
  s=$(date +%s.%N)
  # A capture with a damaged end exits 1 after submitting what it read;
  # the report comparison below is the verdict.
  local rc=0
  client ingest "$file" --capture "$id" --wait "$@" >"$WORK/got/$id.ingest.log" 2>&1 || rc=$?
  e=$(date +%s.%N)
  [ "$rc" -ne 124 ] || fail "$id ($(basename "$file")): no report within ${TIMEOUT:-300}s: $(tail -n 3 "$WORK/got/$id.ingest.log")"
  # The fetch is retried twice: right after a NATS node died, the one-shot
  # API calls of "pcapflow fetch" can time out while leaders are elected.
  local try
  for try in 1 2 3; do
    timeout "${TIMEOUT:-120}" env PCAPFLOW_NATS_URL="$NATS_URL" PCAPFLOW_NATS_USER=client PCAPFLOW_NATS_PASSWORD="$CLIENT_PASSWORD" \
      "$BIN" fetch "$id" -o "$WORK/got/$id" >"$WORK/got/$id.fetch.log" 2>&1 && break
    [ "$try" -lt 3 ] || fail "fetch $id: $(cat "$WORK/got/$id.ingest.log" "$WORK/got/$id.fetch.log")"
    log "  fetch $id failed ($(tail -n 1 "$WORK/got/$id.fetch.log")), retrying"
    sleep 2
  done
  echo "$e - $s" | bc
}
report_of() { find "$1" -maxdepth 1 -name 'report*.json' 2>/dev/null | head -n 1 || true; }
# reference FILE ID [extract flags]: the inline engine's report of FILE.
reference() {
  local file=$1 id=$2
  shift 2
  "$BIN" extract "$file" --engine inline -o "$WORK/ref/$id.json" "$@" >"$WORK/ref/$id.log" 2>&1 || true
  [ -s "$WORK/ref/$id.json" ] || fail "inline extract of $file wrote no report: $(cat "$WORK/ref/$id.log")"
}
# same ID [REF]: the fetched report of capture ID is byte-identical to the
# reference REF (default ID).
same() {
  local got ref="$WORK/ref/${2:-$1}.json"
  got=$(report_of "$WORK/got/$1")
  [ -n "$got" ] || fail "$1: no report fetched ($(ls "$WORK/got/$1" 2>&1))"
  cmp -s "$got" "$ref" || fail "$1: report differs from the inline engine's: $(cmp "$got" "$ref" 2>&1 || true)"
  rm -f "$got" # checked: keep the work folder small (the large reports are 270 MB)
}

# --- small captures: testdata and a selection of the corpus
CAPS=("$ROOT"/testdata/*.pcap*)
CORPUS="$ROOT/../shared/corpus/raw"
if [ -d "$CORPUS" ]; then
  for f in dpkt__http.pcap dpkt__dns_icmp.pcap dpkt__truncated_dns.pcap gopacket__pcapgo__tests__le__test010.pcapng \
    gopacket__pcapgo__tests__be__test202.pcapng kaorimatz__gre-ip__ping__gre2.pcap libpcap__ipv6_ext_headers.pcap \
    zeek__http__206_example_a.pcap suricata__decode-sll2-02__input.pcap pypcapkit__jspcapy_in.pcap; do
    [ -f "$CORPUS/$f" ] && CAPS+=("$CORPUS/$f")
  done
else
  log "corpus $CORPUS absent: testdata captures only"
fi
log "submit ${#CAPS[@]} captures"
n=0
for f in "${CAPS[@]}"; do
  n=$((n + 1))
  id="small-$n"
  reference "$f" "$id"
  TIMEOUT=60 submit "$f" "$id" >/dev/null
  same "$id"
  log "  identical: $(basename "$f")"
done

# the same options on both sides: stop after the transport layer, and
# after the first IPv4 layer
reference "$ROOT/testdata/http.pcap" opt-l -L transport
TIMEOUT=60 submit "$ROOT/testdata/http.pcap" opt-l -L transport >/dev/null
same opt-l
reference "$ROOT/testdata/mixed.pcapng" opt-p -P ipv4
TIMEOUT=60 submit "$ROOT/testdata/mixed.pcapng" opt-p -P ipv4 >/dev/null
same opt-p
reference "$ROOT/testdata/http.pcap" opt-base
cmp -s "$WORK/ref/opt-l.json" "$WORK/ref/opt-base.json" && fail "-L transport changed nothing: the option check is void"
log "  identical with -L transport and -P ipv4"

# --- the other two ways in: the spool folder (reports in the reporter's
# output folder) and "docker compose run cli"
cp "$ROOT/testdata/http.pcap" "$WORK/captures/spooled.pcap"
reference "$ROOT/testdata/http.pcap" spooled
log "spool folder: captures/spooled.pcap -> reports/spooled/"
for _ in $(seq 120); do
  got=$(find "$WORK/reports/spooled" -maxdepth 1 -name 'report*.json' 2>/dev/null | head -n 1 || true)
  [ -n "$got" ] && cmp -s "$got" "$WORK/ref/spooled.json" && break
  sleep 0.5
done
[ -n "$got" ] || fail "no report in the reporter's output folder: $(ls -R "$WORK/reports" "$WORK/captures" 2>&1 | head -20)"
cmp "$got" "$WORK/ref/spooled.json" || fail "spooled report differs"
[ -f "$WORK/captures/done/spooled.pcap" ] || fail "spooled capture not moved to captures/done"
log "  identical: reports/spooled/$(basename "$got")"

# (in a subfolder: the ingest service takes the top-level files)
mkdir -p "$WORK/captures/manual"
cp "$ROOT/testdata/vlan.pcap" "$WORK/captures/manual/viacli.pcap"
reference "$ROOT/testdata/vlan.pcap" viacli
log "docker compose run --rm cli ingest /captures/manual/viacli.pcap --wait -o /reports/viacli"
dc run --rm cli ingest /captures/manual/viacli.pcap --capture viacli --wait -o /reports/viacli >"$WORK/cli.log" 2>&1 ||
  fail "cli ingest: $(cat "$WORK/cli.log")"
got=$(report_of "$WORK/reports/viacli")
[ -n "$got" ] && cmp "$got" "$WORK/ref/viacli.json" || fail "cli report differs or is missing"
log "  identical: reports/viacli/$(basename "$got")"

# --- the large capture
BIG="$WORK/big.pcap"
log "generate $FRAMES frames"
"$BIN" generate -n "$FRAMES" -seed 7 -o "$BIG"
reference "$BIG" big
log "large capture: $(du -h "$BIG" | cut -f1), report $(du -h "$WORK/ref/big.json" | cut -f1)"

decoders() {
  local c
  for c in $(dc ps -q decoder); do
    if [ "$(docker inspect -f '{{.State.Running}}' "$c")" = true ]; then echo "$c"; fi
  done
}
scale() { dc up -d --no-recreate --scale decoder="$1" >"$WORK/scale.log" 2>&1 || fail "scale to $1: $(cat "$WORK/scale.log")"; }

fps() { printf '%.0f' "$(echo "$FRAMES / $1" | bc -l)"; }
T3=$(submit "$BIG" big3)
same big3 big
log "3 decoders: $(printf '%.1f' "$T3")s, $(fps "$T3") frames/s: identical"

# fault FRAC ID ACTION [REF]: submits the capture $BIG as ID in the
# background, runs ACTION after FRAC of the clean run's time $T3 (failing
# if the capture is already done by then), then waits and compares with
# the reference REF (default big).
fault() {
  local frac=$1 id=$2 action=$3 ref=${4:-big}
  submit "$BIG" "$id" >"$WORK/$id.time" &
  local pid=$!
  sleep "$(echo "$T3 * $frac" | bc -l)"
  kill -0 "$pid" 2>/dev/null || fail "$id: the capture finished before the fault; raise E2E_FRAMES"
  "$action"
  wait "$pid" || fail "$id: submit failed"
  same "$id" "$ref"
  log "$id: $(printf '%.1f' "$(cat "$WORK/$id.time")")s: identical"
}

kill_decoder() {
  local c
  c=$(decoders)
  c=${c%%$'\n'*}
  [ -n "$c" ] || fail "no running decoder"
  log "  docker kill decoder ${c:0:12}"
  docker kill "$c" >/dev/null
}
fault 0.4 bigkill kill_decoder
scale 3
[ "$(decoders | wc -l)" -eq 3 ] || fail "decoders not back to 3"

restart_nats() {
  log "  docker restart nats"
  docker restart -t 10 "$(dc ps -q nats)" >/dev/null
}
fault 0.4 bignats restart_nats
scale 3
# A restarted stage must come back working (its /tmp included): restart
# the reporter between two captures.
log "docker restart reporter"
docker restart -t 10 "$(dc ps -q reporter)" >/dev/null

scale_3_1_4() {
  log "  scale decoder=1"
  scale 1
  [ "$(decoders | wc -l)" -eq 1 ] || fail "not 1 decoder"
  sleep "$(echo "$T3 * 0.3" | bc -l)"
  log "  scale decoder=4"
  scale 4
  [ "$(decoders | wc -l)" -eq 4 ] || fail "not 4 decoders"
}
fault 0.25 bigscale scale_3_1_4

# Throughput, 1 then 3 decoders again back to back (the first clean run
# above was on fresh streams).
scale 1
T1=$(submit "$BIG" big1)
same big1 big
log "1 decoder: $(printf '%.1f' "$T1")s, $(fps "$T1") frames/s: identical"
scale 3
T3B=$(submit "$BIG" big3b)
same big3b big
log "3 decoders: $(printf '%.1f' "$T3B")s, $(fps "$T3B") frames/s: identical"

# --- credentials: a wrong and a missing password are clear errors
log "wrong and missing password"
dc -f "$WORK/badauth.yaml" up -d --no-deps badpass nopass >/dev/null 2>&1
for svc in badpass nopass; do
  c=$(dc -f "$WORK/badauth.yaml" ps -q "$svc")
  timeout 60 docker wait "$c" >"$WORK/$svc.rc" || fail "$svc did not exit"
  [ "$(cat "$WORK/$svc.rc")" != 0 ] || fail "$svc exited 0"
  msg=$(dc -f "$WORK/badauth.yaml" logs --no-color "$svc" 2>&1 | grep -i 'authorization violation' | head -n 1)
  [ -n "$msg" ] || fail "$svc: no clear error in the logs: $(dc -f "$WORK/badauth.yaml" logs --no-color "$svc" 2>&1 | tail -5)"
  log "  $svc: exit $(cat "$WORK/$svc.rc"): ${msg#*| }"
done

# Least privilege must not have cost anything: no permission violation in
# any service's log.
no_violations() {
  local viol
  viol=$(dc logs --no-color 2>&1 | grep -i 'permissions violation' | head -n 3 || true)
  [ -z "$viol" ] || fail "permission violations in the logs: $viol"
}
no_violations

# --- the 3-node cluster variant
log "cluster variant: down, then up with docs/deploy/compose.cluster.yaml"
dc -f "$WORK/badauth.yaml" down -v --remove-orphans --timeout 10 >/dev/null 2>&1
DC+=(-f "$ROOT/docs/deploy/compose.cluster.yaml")
dc up -d >"$WORK/cluster-up.log" 2>&1 || fail "cluster up: $(tail -20 "$WORK/cluster-up.log")"
dc ps
MID="$WORK/mid.pcap"
"$BIN" generate -n 40000 -seed 11 -o "$MID"
reference "$MID" mid
TC=$(submit "$MID" clustered)
same clustered mid
log "clustered: $(printf '%.1f' "$TC")s: identical"
# The first submission also waited for the new cluster to declare its
# streams: time a second one, so that the fault below lands mid-capture.
TC=$(submit "$MID" clustered2)
same clustered2 mid
log "clustered again: $(printf '%.1f' "$TC")s: identical"
kill_node() {
  log "  docker kill nats3 (one of the three NATS nodes)"
  docker kill "$(dc ps -q nats3)" >/dev/null
}
BIG=$MID T3=$TC fault 0.3 clusterkill kill_node mid
no_violations

log "throughput on $FRAMES frames (submission to report ready): 1 decoder $(fps "$T1") frames/s, 3 decoders $(fps "$T3") and $(fps "$T3B") frames/s"
log "PASS"
