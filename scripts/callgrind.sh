#!/usr/bin/env bash
# Instructions per request under callgrind, mock or redis-server (docs/BENCHMARKS.md):
#   scripts/callgrind.sh mock|redis TEST PIPELINE N   e.g. scripts/callgrind.sh mock set 16 20000
# TEST: a redis-benchmark test, or one of bench.sh's own: evalsha_set, eval_10, xadd, xrange_10
# (MOCK_BIN: the mock binary, default target/release/mock-redis; CG_PORT: the port, default 7395,
# so that two runs at once do not profile each other's load; CACHE_SIM=1: also simulate the caches,
# for instruction-cache misses (I1mr) and data reads/writes (Dr, Dw) per request)
# then: callgrind_annotate --threshold=100 --auto=no /tmp/cg.NAME.TEST.PPIPELINE.PID.1

set -u
NAME=$1; T=$2; P=$3; N=$4; PORT=${CG_PORT:-7395}
SIM=(); [ "${CACHE_SIM:-0}" = 1 ] && SIM=(--cache-sim=yes)
OUT=/tmp/cg.$NAME.$T.P$P
rm -f $OUT.*
if [ $NAME = redis ]; then
  valgrind --tool=callgrind "${SIM[@]}" --callgrind-out-file=$OUT.%p redis-server --port $PORT --save "" --appendonly no >/dev/null 2>&1 &
else
  valgrind --tool=callgrind "${SIM[@]}" --callgrind-out-file=$OUT.%p ${MOCK_BIN:-target/release/mock-redis} --port $PORT >/dev/null 2>&1 &
fi
V=$!
for i in $(seq 1 120); do redis-cli -p $PORT ping >/dev/null 2>&1 && break; sleep 0.5; done
WHAT=(-t $T)
case $T in
  evalsha_set) WHAT=(EVALSHA $(redis-cli -p $PORT SCRIPT LOAD "return redis.call('SET', KEYS[1], ARGV[1])") 1 key v) ;;
  eval_10) WHAT=(EVAL "for i = 1, 10 do redis.call('INCR', KEYS[1]) end return 1" 1 counter) ;;
  xadd) WHAT=(XADD bench:stream '*' field value) ;;
  xrange_10) redis-benchmark -p $PORT -c 1 -n 1000 -P 16 XADD bench:stream '*' field value >/dev/null 2>&1
             WHAT=(XRANGE bench:stream - + COUNT 10) ;;
esac
redis-benchmark -p $PORT -n 2000 -P $P -c 10 -q "${WHAT[@]}" >/dev/null 2>&1
callgrind_control -z $V >/dev/null 2>&1
redis-benchmark -p $PORT -n $N -P $P -c 10 -q "${WHAT[@]}" 2>&1 | tr '\r' '\n' | tail -1
callgrind_control -d $V >/dev/null 2>&1
sleep 1
kill -INT $V; wait $V 2>/dev/null
ls -t $OUT.* | head -3
