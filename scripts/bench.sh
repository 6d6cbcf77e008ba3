#!/usr/bin/env bash
# Throughput of mock-redis against redis-server, side by side on loopback.
#
#   scripts/bench.sh                 # full run (a few minutes on 2 cores)
#   REPS=1 N1=20000 N16=100000 scripts/bench.sh   # quick look
#
# Starts redis-server and the release `mock-redis` binary on spare loopback
# ports, drives each with redis-benchmark (50 clients, pipeline 1 and 16,
# REPS repetitions, the two servers alternating so that background noise hits
# both alike), and prints the median ops/sec of each, and mock/redis, as a
# Markdown table (also the ratio taken within each repetition, its median
# and range: how much of a difference is the machine's noise), with the CPU
# time each server spent per request (from
# /proc/PID/task/*/schedstat: far less sensitive than ops/sec to other load on the box). A test the mock answers with an error (a command the engine
# does not have yet) is reported as n/a with the error text: redis-benchmark
# 7 stops at the first error reply, so its figure would mean nothing.
#
# Environment:
#   TESTS      comma-separated redis-benchmark tests, plus four of this
#              script's own, run as custom commands: xadd (`XADD bench:stream
#              * field value`), xrange_10 (`XRANGE bench:stream - + COUNT 10`
#              on a stream of 1000 entries), evalsha_set (EVALSHA of a
#              one-SET script, SCRIPT LOAD first) and eval_10 (EVAL of a
#              script of ten redis.call INCRs)
#              (default ping_inline,ping_mbulk,set,get,incr,lpush,lrange_100,mset,
#              xadd,xrange_10,evalsha_set,eval_10)
#   PIPELINES  space-separated pipeline depths (default "1 16")
#   REPS       repetitions per cell, median reported (default 3)
#   CLIENTS    parallel connections (default 50)
#   N1 / N16   requests per run at pipeline 1 / at any deeper pipeline
#              (default 100000 / 1000000; a tenth of that for lrange_*)
#   REDIS_PORT / MOCK_PORT  (default 7379 / 7380)
#   PIN=1      pin each server to CPU 1 and redis-benchmark to CPU 0 (taskset)
#   MOCK_BIN   the mock binary (default: built here with
#              `cargo build --release --features cli`, from the target directory,
#              which honours CARGO_TARGET_DIR)
#   OUT        also write the table to this file
set -euo pipefail

cd "$(dirname "$0")/.."
TESTS=${TESTS:-ping_inline,ping_mbulk,set,get,incr,lpush,lrange_100,mset,xadd,xrange_10,evalsha_set,eval_10}
SET_SCRIPT="return redis.call('SET', KEYS[1], ARGV[1])"
TEN_SCRIPT="for i = 1, 10 do redis.call('INCR', KEYS[1]) end return 1"
PIPELINES=${PIPELINES:-"1 16"}
REPS=${REPS:-3}
CLIENTS=${CLIENTS:-50}
N1=${N1:-100000}
N16=${N16:-1000000}
REDIS_PORT=${REDIS_PORT:-7379}
MOCK_PORT=${MOCK_PORT:-7380}
PIN=${PIN:-0}

for tool in redis-server redis-benchmark redis-cli; do
    command -v "$tool" >/dev/null || { echo "bench.sh: $tool is not installed (apt-get install redis-server redis-tools)" >&2; exit 2; }
done
if [[ -z ${MOCK_BIN:-} ]]; then
    # The binary is behind the `cli` feature.
    cargo build --release --quiet --features cli --bin mock-redis
    MOCK_BIN=$(scripts/target-dir.sh)/release/mock-redis
fi

server_pin=()
bench_pin=()
if [[ $PIN == 1 ]]; then
    server_pin=(taskset -c 1)
    bench_pin=(taskset -c 0)
fi

work=$(mktemp -d -t mock-redis-bench.XXXXXX)
redis_pid=""
mock_pid=""
cleanup() {
    [[ -n $redis_pid ]] && kill "$redis_pid" 2>/dev/null || true
    [[ -n $mock_pid ]] && kill "$mock_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

"${server_pin[@]}" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$work" --logfile "$work/redis.log" &
redis_pid=$!
RUST_LOG=warn "${server_pin[@]}" "$MOCK_BIN" --port "$MOCK_PORT" 2>"$work/mock.log" &
mock_pid=$!

wait_ready() {
    for _ in $(seq 1 100); do
        if [[ $(redis-cli -p "$1" PING 2>/dev/null) == PONG ]]; then return 0; fi
        sleep 0.05
    done
    echo "bench.sh: server on port $1 did not answer PING" >&2
    exit 1
}
wait_ready "$REDIS_PORT"
wait_ready "$MOCK_PORT"

# CPU time (ns) a process's live threads have run so far (schedstat, so
# nanoseconds rather than clock ticks).
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'; }

# The command behind one of this script's own tests (empty for
# redis-benchmark's built-in ones).
custom_command() {
    case $1 in
        xadd) echo "XADD bench:stream * field value" ;;
        xrange_10) echo "XRANGE bench:stream - + COUNT 10" ;;
        *) echo "" ;;
    esac
}

# One redis-benchmark run; prints "rps cpu-µs-per-request" or "ERR <text>".
run_one() {
    local port=$1 test=$2 pipeline=$3 n=$4 pid=$5 out t0 t1 custom
    redis-cli -p "$port" FLUSHALL >/dev/null 2>&1 || true
    custom=$(custom_command "$test")
    if [[ $test == xrange_10 ]]; then
        # 1000 small entries to read from (not timed).
        redis-benchmark -p "$port" -c 1 -n 1000 -P 16 XADD bench:stream '*' field value \
            >/dev/null 2>&1 </dev/null || true
    fi
    local what=(-t "$test")
    if [[ -n $custom ]]; then
        read -ra what <<<"$custom"
    fi
    case $test in
        evalsha_set)
            local sha
            sha=$(redis-cli -p "$port" SCRIPT LOAD "$SET_SCRIPT")
            what=(EVALSHA "$sha" 1 key v)
            custom="EVALSHA"
            ;;
        eval_10)
            what=(EVAL "$TEN_SCRIPT" 1 counter)
            custom="EVAL"
            ;;
    esac
    t0=$(cpu_ns "$pid")
    out=$("${bench_pin[@]}" redis-benchmark -p "$port" -c "$CLIENTS" -n "$n" -P "$pipeline" \
        --csv "${what[@]}" 2>&1 </dev/null || true)
    t1=$(cpu_ns "$pid")
    if grep -q 'Error from server' <<<"$out"; then
        echo "ERR $(grep -m1 -o 'Error from server: .*' <<<"$out" | cut -c20- | sed 's/, with args.*//' | cut -c1-60)"
        return
    fi
    # The row of the test itself (lrange_* also prints the LPUSH that fills the list).
    local want
    want=$(tr '[:lower:]' '[:upper:]' <<<"$test")
    # A custom command's row is named after the command itself.
    [[ -n $custom ]] && want=${custom%% *}
    # LRANGE runs also count the LPUSH that fills the list: 2n requests.
    local requests=$n
    [[ $test == lrange* ]] && requests=$(( 2 * n ))
    awk -F'","' -v want="$want" -v cpu=$(( (t1 - t0) / 1000 )) -v n="$requests" '
        { name = substr($1, 2); split(name, words, " ") }
        words[1] == want { printf "%s %.3f\n", $2, cpu / n; found = 1 }
        END { if (!found) print "ERR no result" }' <<<"$out"
}

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print ""; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

table="$work/table.md"
{
    echo "| test | P | redis-server ops/s | mock-redis ops/s | mock/redis | paired mock/redis (min–max) | redis CPU µs/req | mock CPU µs/req | CPU mock/redis |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
} >"$table"
cat "$table"

IFS=, read -ra tests <<<"$TESTS"
for test in "${tests[@]}"; do
    for pipeline in $PIPELINES; do
        n=$N1
        [[ $pipeline != 1 ]] && n=$N16
        # LRANGE_100 replies are 100 elements: a tenth of the requests takes as long.
        [[ $test == lrange* ]] && n=$(( n / 10 ))
        redis_runs=()
        mock_runs=()
        redis_cpu=()
        mock_cpu=()
        mock_err=""
        redis_err=""
        for rep in $(seq 1 "$REPS"); do
            # Alternate which server goes first.
            order=(redis mock)
            (( rep % 2 == 0 )) && order=(mock redis)
            for who in "${order[@]}"; do
                if [[ $who == redis ]]; then
                    [[ -n $redis_err ]] && continue
                    r=$(run_one "$REDIS_PORT" "$test" "$pipeline" "$n" "$redis_pid")
                    if [[ $r == ERR* ]]; then redis_err=${r#ERR }; else redis_runs+=("${r% *}"); redis_cpu+=("${r#* }"); fi
                else
                    [[ -n $mock_err ]] && continue
                    r=$(run_one "$MOCK_PORT" "$test" "$pipeline" "$n" "$mock_pid")
                    if [[ $r == ERR* ]]; then mock_err=${r#ERR }; else mock_runs+=("${r% *}"); mock_cpu+=("${r#* }"); fi
                fi
            done
        done
        redis_med=$(printf '%s\n' "${redis_runs[@]}" | grep . | median || true)
        mock_med=$(printf '%s\n' "${mock_runs[@]}" | grep . | median || true)
        redis_cell=${redis_med:-"n/a ($redis_err)"}
        mock_cell=${mock_med:-"n/a ($mock_err)"}
        if [[ -n $redis_med && -n $mock_med ]]; then
            ratio=$(awk -v m="$mock_med" -v r="$redis_med" 'BEGIN { printf "%.2f", m / r }')
            redis_cell=$(printf '%.0f' "$redis_med")
            mock_cell=$(printf '%.0f' "$mock_med")
        else
            ratio="n/a"
            [[ -n $redis_med ]] && redis_cell=$(printf '%.0f' "$redis_med")
            [[ -n $mock_med ]] && mock_cell=$(printf '%.0f' "$mock_med")
        fi
        # The same ratio taken within each repetition (the two runs of a
        # repetition are back to back, so a spell of load on the machine
        # hits both), then its median and range over the repetitions.
        paired="n/a"
        if [[ -z $redis_err && -z $mock_err && ${#redis_runs[@]} -gt 0 ]]; then
            ratios=$(paste -d' ' <(printf '%s\n' "${mock_runs[@]}") <(printf '%s\n' "${redis_runs[@]}") |
                awk '$2 > 0 { print $1 / $2 }' | sort -g)
            if [[ -n $ratios ]]; then
                paired=$(printf '%.2f (%.2f–%.2f)' "$(median <<<"$ratios")" "$(head -1 <<<"$ratios")" \
                    "$(tail -1 <<<"$ratios")")
            fi
        fi
        redis_cpu_med=$(printf '%s\n' "${redis_cpu[@]}" | grep . | median || true)
        mock_cpu_med=$(printf '%s\n' "${mock_cpu[@]}" | grep . | median || true)
        cpu_ratio="n/a"
        if [[ -n $redis_cpu_med && -n $mock_cpu_med ]]; then
            cpu_ratio=$(awk -v m="$mock_cpu_med" -v r="$redis_cpu_med" 'BEGIN { if (r > 0) printf "%.2f", m / r; else print "n/a" }')
        fi
        row="| $(tr '[:lower:]' '[:upper:]' <<<"$test") | $pipeline | $redis_cell | $mock_cell | $ratio | $paired | ${redis_cpu_med:-n/a} | ${mock_cpu_med:-n/a} | $cpu_ratio |"
        echo "$row" | tee -a "$table"
    done
done

echo
echo "($REPS repetitions per cell, medians; $CLIENTS clients; $N1 requests at P=1, $N16 deeper;" \
    "redis-server $(redis-server --version | grep -o "v=[^ ]*"), PIN=$PIN, $(nproc) CPUs, load average at the end: $(cut -d" " -f1-3 /proc/loadavg))"
if [[ -n ${OUT:-} ]]; then cp "$table" "$OUT"; fi
