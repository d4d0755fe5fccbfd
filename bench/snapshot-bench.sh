#!/usr/bin/env bash
# Snapshots benchmark (prints figures; it is not a test and fails on no number).
#
# A machine with BENCH_SNAPSHOTS (default 200) snapshots — a chain with a branch every
# 25 — on the libvirt test driver and on a private libvirtd with QEMU (a shut-off guest
# with a qcow2 disk: internal snapshots), then:
#   - Hangar (examples/snapshot-bench.rs): the time from giving the Snapshots tab the
#     machine to the first frame drawn with its tree (first of 5 and median), and the
#     resident memory of the process and what the tab added;
#   - virt-manager (when installed; `apt install virt-manager`), on the same machine in
#     the same run: its details window is opened (--show-domain-editor), then its
#     "Snapshots" button is pressed through AT-SPI and the time until its snapshot
#     table holds every row is taken (bench/snapshot-probe.py), with its memory.
# Hangar's example says for each run when the list was in the tab (comparable to
# virt-manager's rows in its table) and when the first frame with it was drawn.
#
#   sudo bench/snapshot-bench.sh
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
self="$repo/bench/snapshot-bench.sh"
n=${BENCH_SNAPSHOTS:-200}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$repo/target}

if [ "${BENCH_INSIDE:-}" != 1 ]; then
  [ "$(id -u)" -eq 0 ] || { echo "snapshot-bench: run as root" >&2; exit 1; }
  (cd "$repo" && cargo build --release --example snapshot-bench)
  ns=hangar-snapbench-$$
  ip netns add "$ns"
  trap 'pids=$(ip netns pids "$ns" 2>/dev/null); [ -n "$pids" ] && kill -9 $pids 2>/dev/null; ip netns del "$ns" 2>/dev/null || true' EXIT
  BENCH_INSIDE=1 BENCH_SNAPSHOTS=$n ip netns exec "$ns" \
    unshare --mount --propagation private --pid --fork --mount-proc bash "$self"
  exit $?
fi

# ---- inside the namespaces: a private libvirtd, as build-aux/run-tests.sh sets it up
ip link set lo up
mount -t tmpfs -o mode=0755 bench-run /run
mkdir -p /run/libvirt /run/lock /run/bench /run/user/0
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
export XDG_RUNTIME_DIR=/run/user/0 XDG_CACHE_HOME=/run/bench/cache GSETTINGS_BACKEND=memory

bin=$CARGO_TARGET_DIR/release/examples/snapshot-bench
work=/run/bench
cat > "$work/node.xml" <<'XML'
<node xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
  <domain type='test'><name>bench</name><memory>65536</memory><os><type>hvm</type></os>
    <devices><disk type='file' device='disk'><source file='/guest/bench.qcow2'/>
      <target dev='vda' bus='virtio'/></disk></devices>
    <test:runstate>5</test:runstate></domain>
</node>
XML
qemu-img create -q -f qcow2 /var/lib/libvirt/images/bench.qcow2 64M
cat > "$work/guest.xml" <<'XML'
<domain type='qemu'>
  <name>bench</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
      <source file='/var/lib/libvirt/images/bench.qcow2'/><target dev='vda' bus='virtio'/></disk>
  </devices>
</domain>
XML
virsh -q -c qemu:///system define "$work/guest.xml" >/dev/null

run_x() {
  xvfb-run -a -s "-screen 0 1280x800x24" env GSK_RENDERER=cairo GDK_BACKEND=x11 "$@"
}

echo "== test driver: $n snapshots (made by the bench, in its own process)"
t_hangar=$(run_x "$bin" --connect "test://$work/node.xml" --domain bench --create "$n" --runs 5 2>"$work/test.log" | tail -n 1)
grep "^run:" "$work/test.log" || true
echo "hangar $t_hangar"

echo "== real libvirtd (QEMU, internal snapshots of a shut-off qcow2 guest): $n snapshots"
q_hangar=$(run_x "$bin" --connect qemu:///system --domain bench --create "$n" --runs 5 2>"$work/qemu.log" | tail -n 1)
grep "^made\|^run:" "$work/qemu.log" || true
echo "hangar $q_hangar"
echo "virsh: $(virsh -q -c qemu:///system snapshot-list bench --name | grep -c .) snapshots"

vmm="virt-manager not installed: no comparison"
if command -v virt-manager >/dev/null 2>&1; then
  cat > "$work/inner.sh" <<INNER
set -u
/usr/libexec/at-spi-bus-launcher --launch-immediately & launcher=\$!
sleep 1
AT_SPI_BUS_ADDRESS=\$(gdbus call --session --dest org.a11y.Bus --object-path /org/a11y/bus \
  --method org.a11y.Bus.GetAddress | sed -E "s/^\('(.*)',\)\$/\1/")
export AT_SPI_BUS_ADDRESS GSETTINGS_BACKEND=memory
/usr/bin/python3 "$repo/bench/snapshot-probe.py" "$n" -- \
  /usr/bin/python3 "\$(command -v virt-manager)" --no-fork --connect qemu:///system --show-domain-editor bench
kill "\$launcher" 2>/dev/null || true
INNER
  vmm="virt-manager $(run_x dbus-run-session -- bash "$work/inner.sh" 2>"$work/vmm.log" | tail -n 1)"
fi
echo "$vmm"
echo ""
echo "snapshot tab benchmark: $n snapshots; times from giving the tab the machine (Hangar, in process)"
echo "or pressing Snapshots (virt-manager, through AT-SPI) to the tree/list on screen"
echo "test driver   hangar       $t_hangar"
echo "libvirtd      hangar       $q_hangar"
echo "libvirtd      $vmm"
