#!/usr/bin/env bash
# A profile-guided (PGO) build of the `mock-redis` binary: the fastest one
# (docs/BENCHMARKS.md, "Fifth pass").
#
#   scripts/pgo.sh      # prints the binary's path: <target>/pgo/use/<host>/release/mock-redis
#
# Three steps: an instrumented release build; a training run, which is
# scripts/bench.sh once over redis-benchmark's default tests, plus bench.sh's own
# (streams, scripts), at pipeline 1 and 16 (about a minute); then the release
# build again, told by the profile which code is hot, so that the compiler
# keeps it together and out of the way of the cold code. Built this way, a
# request's code fits in the CPU's instruction cache, which the plain build's
# does not at pipeline 1 (GET: 9 instruction-cache misses per request
# instead of 144, in callgrind's simulation).
#
# Needs `llvm-profdata` of the toolchain's own LLVM
# (`rustup component add llvm-tools`), and what bench.sh needs (redis-server,
# redis-benchmark, redis-cli). Library users are not concerned: this is a
# build of the binary only, and `cargo build --release` stays as it was.
#
# Environment: CARGO_TARGET_DIR is honoured; PGO_TESTS replaces the training
# tests (bench.sh's TESTS).
set -euo pipefail

cd "$(dirname "$0")/.."
host=$(rustc -vV | sed -n 's/^host: //p')
profdata=$(rustc --print sysroot)/lib/rustlib/$host/bin/llvm-profdata
if [[ ! -x $profdata ]]; then
    echo "pgo.sh: $profdata is missing: rustup component add llvm-tools" >&2
    exit 2
fi
target_dir=$(scripts/target-dir.sh)
profiles=$target_dir/pgo/profiles
rm -rf "$profiles"
mkdir -p "$profiles"

# `--target`: RUSTFLAGS then reach the binary's code only, not the build
# scripts and procedural macros (which would write profiles of their own).
echo "pgo.sh: instrumented build" >&2
RUSTFLAGS="-Cprofile-generate=$profiles" cargo build --release --quiet --features cli \
    --bin mock-redis --target "$host" --target-dir "$target_dir/pgo/gen"

echo "pgo.sh: training run" >&2
# redis-benchmark's default tests (LRANGE once at 100 and once at 300
# elements), not only the benchmark's rows: the profile is of the request
# path as a whole. The instrumented server writes its
# profile when bench.sh stops it (SIGTERM ends it the way SHUTDOWN does).
all=ping_inline,ping_mbulk,set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin
all=$all,lrange_100,lrange_300,mset,xadd,xrange_10,evalsha_set,eval_10
MOCK_BIN=$target_dir/pgo/gen/$host/release/mock-redis TESTS=${PGO_TESTS:-$all} REPS=1 N1=20000 \
    N16=200000 scripts/bench.sh >/dev/null
"$profdata" merge -o "$profiles/merged.profdata" "$profiles"

echo "pgo.sh: optimized build" >&2
RUSTFLAGS="-Cprofile-use=$profiles/merged.profdata" cargo build --release --quiet \
    --features cli --bin mock-redis --target "$host" --target-dir "$target_dir/pgo/use"
echo "$target_dir/pgo/use/$host/release/mock-redis"
