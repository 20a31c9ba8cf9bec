#!/usr/bin/env bash
# Runs a single-node KRaft Apache Kafka (3.9.x jars from Maven Central, no system package) bound to 127.0.0.1 for the
# project's tests and for trying the Kafka bus by hand. Usage: tools/kafka/kafka.sh start|stop|restart|status|logs|reset
#
#   start    download the jars once (into .tools/kafka/lib), format the storage once, start the broker, wait until it
#            answers a metadata request. Already running → says so and succeeds (idempotent).
#   stop     SIGTERM by PID (SIGKILL after SWITCHBOARD_KAFKA_STOP_TIMEOUT s), keeps the data so offsets survive a restart.
#   restart  stop then start (what the fault test does: the same data, committed offsets resume).
#   status   exit 0 when running and answering, 3 when not running, 1 when running but not answering.
#   logs     the last lines of the broker's log.
#   reset    stop and delete the data directory (fresh cluster next start).
#
# Environment (all optional):
#   SWITCHBOARD_KAFKA_PORT             client port (19092)
#   SWITCHBOARD_KAFKA_CONTROLLER_PORT  KRaft controller port (port + 1)
#   SWITCHBOARD_KAFKA_STATE_DIR        config, data, PID and log (${TMPDIR:-/tmp}/switchboard-kafka-<port>)
#   SWITCHBOARD_KAFKA_LIB              jar cache (<repo>/.tools/kafka/lib, git-ignored)
#   SWITCHBOARD_KAFKA_HEAP             JVM heap flags (-Xms128m -Xmx512m)
#   SWITCHBOARD_KAFKA_START_TIMEOUT    seconds to wait for the broker to answer (90)
#   SWITCHBOARD_KAFKA_STOP_TIMEOUT     seconds to wait after SIGTERM before SIGKILL (30)
# Then point clients at 127.0.0.1:<port>, e.g. export SWITCHBOARD_KAFKA_BROKERS=127.0.0.1:19092.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PORT="${SWITCHBOARD_KAFKA_PORT:-19092}"
CPORT="${SWITCHBOARD_KAFKA_CONTROLLER_PORT:-$((PORT + 1))}"
STATE="${SWITCHBOARD_KAFKA_STATE_DIR:-${TMPDIR:-/tmp}/switchboard-kafka-$PORT}"
LIB="${SWITCHBOARD_KAFKA_LIB:-$ROOT/.tools/kafka/lib}"
HEAP="${SWITCHBOARD_KAFKA_HEAP:--Xms128m -Xmx512m}"
START_TIMEOUT="${SWITCHBOARD_KAFKA_START_TIMEOUT:-90}"
STOP_TIMEOUT="${SWITCHBOARD_KAFKA_STOP_TIMEOUT:-30}"
PIDFILE="$STATE/kafka.pid"
LOGFILE="$STATE/kafka.log"
CONFIG="$STATE/server.properties"
DATA="$STATE/data"

say() { printf 'kafka.sh: %s\n' "$*" >&2; }
now_ms() { date +%s%3N; }

# The PID in the file is ours only while it is a live java running kafka.Kafka with our config (PIDs get reused).
running_pid() {
  [ -f "$PIDFILE" ] || return 1
  local pid
  pid="$(cat "$PIDFILE" 2>/dev/null || true)"
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "kafka.Kafka $CONFIG" || return 1
  printf '%s\n' "$pid"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; }

# A metadata request that lists our broker: the port alone answers a few hundred ms before the broker can serve.
metadata_ok() {
  if command -v kcat >/dev/null 2>&1; then
    kcat -b "127.0.0.1:$PORT" -L -m 3 2>/dev/null | grep -q "broker 1 at 127.0.0.1:$PORT"
  else
    say "kcat not found: readiness is judged by the port alone (apt-get install kcat for a real metadata check)"
    port_open
  fi
}

ensure_jars() {
  if ls "$LIB"/kafka_2.13-3.9.*.jar >/dev/null 2>&1 && ls "$LIB"/slf4j-reload4j-*.jar >/dev/null 2>&1; then
    return 0
  fi
  command -v mvn >/dev/null || { say "Maven (mvn) is needed once to fetch the Kafka jars: apt-get install maven"; exit 1; }
  command -v java >/dev/null || { say "Java 17 is needed to run Kafka: apt-get install openjdk-17-jre-headless"; exit 1; }
  say "fetching Kafka jars from Maven Central into $LIB"
  local t0 tmp
  t0="$(now_ms)"
  tmp="$LIB.partial.$$"
  rm -rf "$tmp"
  mkdir -p "$(dirname "$LIB")"
  # Into a side folder first, so an interrupted download never looks like a complete cache.
  mvn -q -B -f "$HERE/pom.xml" dependency:copy-dependencies -DoutputDirectory="$tmp"
  rm -rf "$LIB"
  mv "$tmp" "$LIB"
  say "jars ready: $(ls "$LIB" | wc -l) files, $(du -sh "$LIB" | cut -f1), $(($(now_ms) - t0)) ms"
}

write_config() {
  mkdir -p "$DATA"
  cat >"$CONFIG" <<EOF
# Written by tools/kafka/kafka.sh: single-node KRaft broker for tests, loopback only.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CPORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CPORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$DATA
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
delete.topic.enable=true
log.retention.hours=24
log.cleaner.backoff.ms=5000
EOF
}

format_storage() {
  [ -f "$DATA/meta.properties" ] && return 0
  local id
  # A cluster id is 16 random bytes in URL-safe base64 without padding (what StorageTool random-uuid prints).
  # One starting with '-' would read as an option to StorageTool: draw again.
  id="-"
  while [ "${id#-}" != "$id" ]; do id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"; done
  java -cp "$LIB/*" -Dlog4j.configuration="file:$HERE/log4j.properties" kafka.tools.StorageTool format \
    -t "$id" -c "$CONFIG" --ignore-formatted >>"$LOGFILE" 2>&1 \
    || { say "formatting the storage failed:"; tail -n 20 "$LOGFILE" >&2; exit 1; }
}

wait_ready() {
  local pid="$1" t0="$2" what="$3" deadline=$(($(date +%s) + START_TIMEOUT))
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      say "the broker exited during start; last lines of $LOGFILE:"
      tail -n 30 "$LOGFILE" >&2
      rm -f "$PIDFILE"
      exit 1
    fi
    if port_open && metadata_ok; then
      say "running: 127.0.0.1:$PORT (pid $pid, $what, answered metadata in $(($(now_ms) - t0)) ms)"
      return 0
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      say "no metadata answer on 127.0.0.1:$PORT within ${START_TIMEOUT}s (pid $pid still running); see $LOGFILE"
      tail -n 30 "$LOGFILE" >&2
      exit 1
    fi
    sleep 0.2
  done
}

do_start() {
  local pid
  if pid="$(running_pid)"; then
    wait_ready "$pid" "$(now_ms)" "already running"
    return 0
  fi
  if port_open; then
    if metadata_ok; then
      say "a Kafka broker not started by this script already answers on 127.0.0.1:$PORT; using it"
      return 0
    fi
    say "port 127.0.0.1:$PORT is taken by something that is not a Kafka broker; choose another: SWITCHBOARD_KAFKA_PORT=..."
    exit 1
  fi
  ensure_jars
  mkdir -p "$STATE"
  # The log is appended across restarts; keep one previous generation so it stays bounded.
  if [ -f "$LOGFILE" ] && [ "$(stat -c %s "$LOGFILE")" -gt 5000000 ]; then mv -f "$LOGFILE" "$LOGFILE.1"; fi
  write_config
  format_storage
  local t0
  t0="$(now_ms)"
  # setsid: the broker outlives the shell (and test process) that started it; only `stop` ends it. 9>&-: it must not
  # inherit the lock below, or every later start/stop would wait for the broker to exit.
  setsid java $HEAP -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$HERE/log4j.properties" \
    -cp "$LIB/*" kafka.Kafka "$CONFIG" >>"$LOGFILE" 2>&1 </dev/null 9>&- &
  pid=$!
  echo "$pid" >"$PIDFILE"
  wait_ready "$pid" "$t0" "started"
}

do_stop() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$PIDFILE"
    say "not running (port $PORT)"
    return 0
  fi
  local t0 deadline
  t0="$(now_ms)"
  deadline=$(($(date +%s) + STOP_TIMEOUT))
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      say "still running ${STOP_TIMEOUT}s after SIGTERM; sending SIGKILL to $pid"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    sleep 0.1
  done
  rm -f "$PIDFILE"
  say "stopped pid $pid in $(($(now_ms) - t0)) ms"
}

do_status() {
  local pid
  if ! pid="$(running_pid)"; then
    say "not running (port $PORT)"
    return 3
  fi
  if metadata_ok; then
    say "running: 127.0.0.1:$PORT (pid $pid, state $STATE)"
    return 0
  fi
  say "pid $pid is running but 127.0.0.1:$PORT does not answer a metadata request yet"
  return 1
}

# One start/stop at a time per port: tests and people may call the script at the same moment.
with_lock() {
  mkdir -p "$STATE"
  exec 9>"$STATE/.lock"
  flock 9
  "$@"
}

case "${1:-}" in
  start) with_lock do_start ;;
  stop) with_lock do_stop ;;
  restart) with_lock do_stop && with_lock do_start ;;
  status) do_status ;;
  logs) tail -n "${2:-50}" "$LOGFILE" ;;
  reset) with_lock do_stop && rm -rf "$DATA" && say "data removed: $DATA" ;;
  *)
    sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
