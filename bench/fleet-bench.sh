#!/usr/bin/env bash
# Fleet benchmark (prints figures; it is not a test): HOSTS test-driver connections of
# N domains each (../shared/bench/gen-test-node.py), opened at once by Hangar
# (`--connect` repeated) and by virt-manager (its saved connections, autoconnected),
# each in a private Xvfb with its own session and accessibility buses.
#
# For each program: the first row on screen (AT-SPI sees a row named vm-00000; the
# shared startup probe), its idle CPU over IDLE seconds and its memory. For Hangar
# also when every host's whole list was in the model (its --debug log).
#
#   bench/fleet-bench.sh [HOSTS=10] [N=1000] [IDLE=20]
#
# Needs xvfb, dbus, at-spi2-core, python3-pyatspi; virt-manager for the comparison.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shared=$repo/../shared/bench
hosts=${1:-10}
n=${2:-1000}
idle=${3:-20}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$repo/target}
(cd "$repo" && cargo build --release --bin hangar) >&2
hangar=$CARGO_TARGET_DIR/release/hangar
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
uris=()
for i in $(seq 0 $((hosts - 1))); do
  "$shared/gen-test-node.py" "$n" "$work/host$i.xml"
  uris+=("test://$work/host$i.xml")
done

# virt-manager's saved connections, in a keyfile settings backend of its own.
mkdir -p "$work/config/glib-2.0/settings"
list=$(printf "'%s', " "${uris[@]}")
list="[${list%, }]"
cat > "$work/config/glib-2.0/settings/keyfile" <<EOF
[org/virt-manager/virt-manager/connections]
uris=$list
autoconnect=$list
EOF

connect_args=()
for u in "${uris[@]}"; do connect_args+=(--connect "$u"); done
printf '%s\n' "${connect_args[@]}" > "$work/connect-args"

cat > "$work/inner.sh" <<'INNER'
set -u
/usr/libexec/at-spi-bus-launcher --launch-immediately & launcher=$!
sleep 1
AT_SPI_BUS_ADDRESS=$(gdbus call --session --dest org.a11y.Bus --object-path /org/a11y/bus \
  --method org.a11y.Bus.GetAddress | sed -E "s/^\('(.*)',\)$/\1/")
export AT_SPI_BUS_ADDRESS GSK_RENDERER=cairo
mapfile -t args < "$work/connect-args"
start=$(date +%s.%N)
echo "start $start"
echo "hangar $(GSETTINGS_BACKEND=memory HANGAR_BENCH_LOG="$work/marks" /usr/bin/python3 "$shared/startup-probe.py" vm-00000 "$idle" -- "$hangar" "${args[@]}" 2>/dev/null)"
if command -v virt-manager >/dev/null; then
  echo "virt-manager $(GSETTINGS_BACKEND=keyfile XDG_CONFIG_HOME="$work/config" /usr/bin/python3 "$shared/startup-probe.py" vm-00000 "$idle" -- /usr/bin/python3 "$(command -v virt-manager)" --no-fork)"
else
  echo "virt-manager not installed: no comparison"
fi
kill "$launcher" 2>/dev/null || true
INNER
export work shared hangar idle
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- bash "$work/inner.sh" | tee "$work/out.txt"

# Hangar's whole lists: a mark per host when its list is in the model
# (HANGAR_BENCH_LOG, milliseconds since the process started).
/usr/bin/python3 - "$work/out.txt" "$work/marks" "$hosts" "$n" <<'PY'
import json, sys
rows = {}
for line in open(sys.argv[1]):
    name, _, rest = line.partition(" ")
    if rest.startswith("{"):
        rows[name] = json.loads(rest)
marks = [int(l.split()[0]) for l in open(sys.argv[2]) if " loaded " in l]
hosts, n = int(sys.argv[3]), int(sys.argv[4])
h, v = rows.get("hangar") or {}, rows.get("virt-manager")
if len(marks) >= hosts:
    h["all_lists_s"] = round(sorted(marks)[hosts - 1] / 1000, 3)
print(json.dumps({"hosts": hosts, "domains_each": n, "hangar": h, "virt_manager": v}))
PY
