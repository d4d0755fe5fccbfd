#!/usr/bin/env bash
# Migration benchmark (prints figures; it is not a test): a live migration with copy
# storage of a guest with a 1 GiB disk between the two test hosts (the test command's
# namespaces: build-aux/second-host.sh), by Hangar and by `virsh migrate
# --copy-storage-all` in the same run (examples/migrate_bench.rs).
#
#   sudo bench/migrate-bench.sh
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$repo/target}
(cd "$repo" && cargo build --release --example migrate_bench) >&2
exec bash "$repo/build-aux/run-tests.sh" --bench "$CARGO_TARGET_DIR/release/examples/migrate_bench"
