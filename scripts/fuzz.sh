#!/usr/bin/env bash
# Bounded fuzzing of every target in fuzz/ (cargo-fuzz layout, libFuzzer,
# AddressSanitizer), on the stable toolchain.
#
#   scripts/fuzz.sh                      # every target, 60 s each
#   FUZZ_SECONDS=10 scripts/fuzz.sh dispatch
#   UPDATE_CORPUS=1 scripts/fuzz.sh      # keep new inputs in fuzz/corpus/
#
# cargo-fuzz drives nightly-only rustc flags (-Zsanitizer, sancov passes);
# RUSTC_BOOTSTRAP=1 lets the stable compiler accept them, so no nightly
# toolchain is needed. By default the committed corpus is only read: new
# inputs go to a temporary directory, so a CI run leaves the tree clean.
# A crash, a leak or a hang (one input running over FUZZ_TIMEOUT seconds)
# fails the run and leaves its input in fuzz/artifacts/<target>/.
# Prints one line per target: runs, seconds, and the corpus size.
set -euo pipefail

cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${FUZZ_SECONDS:-60}
TIMEOUT=${FUZZ_TIMEOUT:-10}
export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked --quiet
fi

targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    mapfile -t targets < <(cargo fuzz list)
fi

for t in "${targets[@]}"; do cargo fuzz build "$t" 2>&1 | grep -E "^(error|warning: unused)" >&2 || true; done

summary=()
status=0
for target in "${targets[@]}"; do
    corpus=fuzz/corpus/$target
    mkdir -p "$corpus"
    if [[ ${UPDATE_CORPUS:-0} == 1 ]]; then
        dirs=("$corpus")
    else
        scratch=$(mktemp -d -t "fuzz-$target.XXXXXX")
        dirs=("$scratch" "$corpus")
    fi
    log=$(mktemp -t "fuzz-$target.log.XXXXXX")
    echo "fuzz.sh: $target for ${SECONDS_PER_TARGET}s" >&2
    if cargo fuzz run "$target" "${dirs[@]}" -- \
        -max_total_time="$SECONDS_PER_TARGET" -timeout="$TIMEOUT" -rss_limit_mb=2048 \
        -dict=fuzz/dict/redis.dict -print_final_stats=1 >"$log" 2>&1; then
        runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
        secs=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | awk '{ print $5 }' || echo '?')
        units=$(grep -o 'corp: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || echo '?')
        cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || echo '?')
        summary+=("$target: ok, $runs runs in ${secs}s ($(( runs / (secs > 0 ? secs : 1) )) exec/s), coverage $cov edges, corpus $units inputs")
    else
        status=1
        tail -40 "$log" >&2
        summary+=("$target: FAILED (see fuzz/artifacts/$target/ and the log above)")
    fi
    rm -f "$log"
    [[ -n ${scratch:-} ]] && rm -rf "$scratch"
    scratch=""
done

printf '%s\n' "${summary[@]}"
exit $status
