#!/usr/bin/env bash
# Prints cargo's target directory for this workspace (CARGO_TARGET_DIR and
# .cargo/config honoured), for the scripts that look for a built binary.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo metadata --format-version 1 --no-deps | sed 's/.*"target_directory":"\([^"]*\)".*/\1/'
