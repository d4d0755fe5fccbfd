#!/usr/bin/env bash
# The run command: installs what Hangar needs to build and run (apt, idempotent), builds
# a release binary with cargo and starts it. Arguments go to Hangar:
#
#   build-aux/run.sh                              connect as Hangar decides (below)
#   build-aux/run.sh -c qemu:///system            a given libvirt URI
#   build-aux/run.sh --show-host-summary
#
# Without -c, Hangar uses qemu:///system if it answers, else qemu:///session, else its
# built-in demo hypervisor (a small lab on libvirt's test driver), so it always opens
# on something.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
  PATH="$HOME/.cargo/bin:$PATH"
fi

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  cat >&2 <<'EOF'
run: no graphical session (neither DISPLAY nor WAYLAND_DISPLAY is set).
Hangar is a desktop application: start it from a terminal inside your desktop session,
or over SSH with X forwarding (ssh -X). To only build it: cargo build --release
EOF
  exit 1
fi

# Build packages, libvirt-clients among them (virsh, virt-xml-validate).
bash "$repo/build-aux/install-deps.sh"

cargo build --release --bin hangar
exec "${CARGO_TARGET_DIR:-$repo/target}/release/hangar" "$@"
