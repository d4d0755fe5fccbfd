#!/usr/bin/env bash
# Console benchmark (prints figures; it is not a test and fails on no number).
#
# Boots ../shared/bench/guests/pattern.img (a boot sector redrawing the whole VGA screen
# forever) as a raw IDE disk under a private libvirtd, then watches its console for
# BENCH_SECONDS (default 20) with Hangar's VNC display (examples/console-bench.rs) and
# then with remote-viewer (virt-viewer: GTK 3 + gtk-vnc), both at 200 % zoom (640×400),
# and prints for each: CPU of the viewer process (% of one core), frames drawn per
# second (Hangar counts its own; remote-viewer does not say), and resident memory.
#
# Needs root (network and mount namespaces, like build-aux/run-tests.sh), xvfb-run,
# and remote-viewer (apt install virt-viewer) for the comparison.
#
#   sudo bench/console-bench.sh [PATTERN_IMG]
#
# BENCH_VIEWERS="hangar remote-viewer" (the default) picks the viewers to measure.
# BENCH_PROTOCOL=spice shows the guest over SPICE with QXL video instead of VNC with
# VGA (Hangar through libvirt's sockets, remote-viewer over TCP as with VNC).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
img=${1:-$repo/../shared/bench/guests/pattern.img}
seconds=${BENCH_SECONDS:-20}
viewers=" ${BENCH_VIEWERS:-hangar remote-viewer} "
protocol=${BENCH_PROTOCOL:-vnc}
warmup=5
self="$repo/bench/console-bench.sh"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$repo/target}

if [ "${BENCH_INSIDE:-}" != 1 ]; then
  [ "$(id -u)" -eq 0 ] || { echo "console-bench: run as root" >&2; exit 1; }
  [ -f "$img" ] || { echo "console-bench: no guest image at $img" >&2; exit 1; }
  (cd "$repo" && cargo build --release --example console-bench)
  ns=hangar-bench-$$
  ip netns add "$ns"
  trap 'pids=$(ip netns pids "$ns" 2>/dev/null); [ -n "$pids" ] && kill -9 $pids 2>/dev/null; ip netns del "$ns" 2>/dev/null || true' EXIT
  BENCH_INSIDE=1 BENCH_IMG=$(readlink -f "$img") ip netns exec "$ns" \
    unshare --mount --propagation private --pid --fork --mount-proc bash "$self"
  exit $?
fi

# ---- inside the namespaces: a private libvirtd, as build-aux/run-tests.sh sets it up
ip link set lo up
mount -t tmpfs -o mode=0755 bench-run /run
mkdir -p /run/libvirt /run/lock /run/bench
for d in /var/lib/libvirt /var/cache/libvirt /var/log/libvirt; do
  mkdir -p "$d"; mount -t tmpfs -o mode=0755 bench-state "$d"
done
install -d -m 0711 /var/lib/libvirt/images /var/cache/libvirt/qemu
install -d -m 0755 /var/lib/libvirt/dnsmasq /var/log/libvirt/qemu
install -d -m 0751 /var/lib/libvirt/qemu
conf=/run/bench/etc-libvirt
mkdir -p "$conf/qemu/networks"
echo 'log_outputs = "3:file:/var/log/libvirt/libvirtd.log"' > "$conf/libvirtd.conf"
printf 'namespaces = [ ]\nsecurity_driver = "none"\n' > "$conf/qemu.conf"
: > "$conf/libvirt.conf"
mount --bind "$conf" /etc/libvirt
if [ -e /dev/kvm ]; then : > /run/bench/no-kvm; mount --bind /run/bench/no-kvm /dev/kvm; fi
virtlogd -d
libvirtd -d
until virsh -q -c qemu:///system version >/dev/null 2>&1; do sleep 0.5; done

cp "$BENCH_IMG" /var/lib/libvirt/images/pattern.img
# QEMU runs as libvirt-qemu and writes to its disk.
chmod 0666 /var/lib/libvirt/images/pattern.img
if id libvirt-qemu >/dev/null 2>&1; then
  chown libvirt-qemu:libvirt-qemu /var/lib/libvirt/images/pattern.img
fi
cat > /run/bench/guest.xml <<'EOF'
<domain type='qemu'>
  <name>hangar-bench-pattern</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type><boot dev='hd'/></os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='/var/lib/libvirt/images/pattern.img'/>
      <target dev='hda' bus='ide'/>
    </disk>
    GRAPHICS
  </devices>
</domain>
EOF
if [ "$protocol" = spice ]; then
  graphics="<graphics type='spice' autoport='yes' listen='127.0.0.1'/><video><model type='qxl'/></video>"
else
  graphics="<graphics type='vnc' listen='127.0.0.1'/><video><model type='vga'/></video>"
fi
sed -i "s|GRAPHICS|$graphics|" /run/bench/guest.xml
virsh -q -c qemu:///system define /run/bench/guest.xml >/dev/null
virsh -q -c qemu:///system start hangar-bench-pattern >/dev/null
sleep 3
# remote-viewer wants the TCP port in its URI (virsh domdisplay gives a display number).
if [ "$protocol" = spice ]; then
  display=$(virsh -q -c qemu:///system domdisplay --type spice hangar-bench-pattern)
else
  vncnum=$(virsh -q -c qemu:///system vncdisplay hangar-bench-pattern | sed 's/.*://')
  display="vnc://127.0.0.1:$((5900 + vncnum))"
fi

hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
minflt() { awk '{print $10}' "/proc/$1/stat"; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# Measure process $1 for $seconds after $warmup; sets CPU and RSS.
measure() {
  local pid=$1 t0 t1
  sleep "$warmup"
  t0=$(cpu_ticks "$pid")
  local m0; m0=$(minflt "$pid")
  if [ -n "${BENCH_PERF:-}" ]; then
    # BENCH_PERF=1: also record a profile of the viewer (perf report -i FILE);
    # BENCH_PERF=dwarf: with call graphs through libraries built without frame pointers.
    local cg=-g
    [ "$BENCH_PERF" = dwarf ] && cg="--call-graph=dwarf,16384"
    perf record $cg -o "$logs/perf-$pid.data" -p "$pid" -- sleep "$seconds" >/dev/null 2>&1
  else
    sleep "$seconds"
  fi
  t1=$(cpu_ticks "$pid")
  FAULTS=$(( ($(minflt "$pid") - m0) / seconds ))
  CPU=$(awk -v a="$t0" -v b="$t1" -v hz="$hz" -v s="$seconds" 'BEGIN {printf "%.1f", (b - a) * 100 / hz / s}')
  RSS=$(( $(rss_kib "$pid") / 1024 ))
}

run_x() {
  xvfb-run -a -s "-screen 0 1280x800x24" env GSK_RENDERER=cairo GDK_BACKEND=x11 "$@"
}

# Hangar: its own display in a bare window.
logs=${BENCH_LOGS:-/tmp/hangar-console-bench}
mkdir -p "$logs"
out=$logs/hangar.log
h_cpu=n/a h_rss=n/a h_fps=n/a h_flt=n/a
if [[ "$viewers" == *" hangar "* ]]; then
run_x dbus-run-session -- "$CARGO_TARGET_DIR/release/examples/console-bench" \
  --connect qemu:///system --domain hangar-bench-pattern --protocol "$protocol" \
  --seconds $((warmup + seconds + 2)) >"$out" 2>&1 &
sleep 1
hpid=$(pgrep -x console-bench | head -n 1)
measure "$hpid"
h_cpu=$CPU h_rss=$RSS h_flt=$FAULTS
wait || true
f0=$(sed -n "s/^t=${warmup}s frames=\([0-9]*\).*/\1/p" "$out")
f1=$(sed -n "s/^t=$((warmup + seconds))s frames=\([0-9]*\).*/\1/p" "$out")
h_fps=$(awk -v a="${f0:-0}" -v b="${f1:-0}" -v s="$seconds" 'BEGIN {printf "%.1f", (b - a) / s}')
fi

# remote-viewer on the same guest.
r_cpu=n/a r_rss=n/a r_flt=n/a
if [[ "$viewers" == *" remote-viewer "* ]] && command -v remote-viewer >/dev/null 2>&1; then
  run_x dbus-run-session -- remote-viewer --zoom=200 "$display" >"$logs/remote-viewer.log" 2>&1 &
  sleep 1
  rpid=$(pgrep -x remote-viewer | head -n 1)
  measure "$rpid"
  r_cpu=$CPU r_rss=$RSS r_flt=$FAULTS
  echo "remote-viewer: $display, log in $logs/remote-viewer.log"
  kill "$rpid" 2>/dev/null || true
  wait || true
fi

virsh -q -c qemu:///system destroy hangar-bench-pattern >/dev/null 2>&1 || true
echo ""
echo "console benchmark ($protocol): pattern.img (320x200 VGA, every pixel changes every frame), ${seconds} s after ${warmup} s warm-up"
printf '%-16s %12s %14s %10s %16s\n' viewer "CPU % core" "frames/s" "RSS MiB" "page faults/s"
printf '%-16s %12s %14s %10s %16s\n' hangar "$h_cpu" "$h_fps" "$h_rss" "$h_flt"
printf '%-16s %12s %14s %10s %16s\n' remote-viewer "$r_cpu" "n/a" "$r_rss" "$r_flt"
