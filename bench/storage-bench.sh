#!/usr/bin/env bash
# Storage benchmark (prints figures; it is not a test and fails on no number).
#
# Under a private libvirtd (network and mount namespaces, as build-aux/run-tests.sh),
# with a `dir` pool on the disk (not tmpfs):
#   - uploads and downloads a file of BENCH_MIB MiB (default 1024; half zeros, half
#     random) with Hangar (examples/storage-bench.rs: the copy on its thread, progress
#     through the main loop, whose longest gap is measured) and with `virsh vol-upload`
#     / `vol-download`, in the same run;
#   - clones a machine with a 1 GiB sparse qcow2 disk with Hangar and with `virt-clone`
#     (virtinst; installed here when missing).
#
#   sudo bench/storage-bench.sh
#
# BENCH_DIR (default /var/tmp/hangar-storage-bench) holds the pool and the files.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
self="$repo/bench/storage-bench.sh"
mib=${BENCH_MIB:-1024}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$repo/target}

if [ "${BENCH_INSIDE:-}" != 1 ]; then
  [ "$(id -u)" -eq 0 ] || { echo "storage-bench: run as root" >&2; exit 1; }
  command -v virt-clone >/dev/null 2>&1 || {
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends virtinst >/dev/null
  }
  (cd "$repo" && cargo build --release --example storage-bench)
  dir=${BENCH_DIR:-/var/tmp/hangar-storage-bench}
  rm -rf "$dir"; mkdir -p "$dir/pool"; chmod 0755 "$dir" "$dir/pool"
  ns=hangar-sbench-$$
  ip netns add "$ns"
  trap 'pids=$(ip netns pids "$ns" 2>/dev/null); [ -n "$pids" ] && kill -9 $pids 2>/dev/null; ip netns del "$ns" 2>/dev/null || true; rm -rf "$dir"' EXIT
  BENCH_INSIDE=1 BENCH_DIR=$dir ip netns exec "$ns" \
    unshare --mount --propagation private --pid --fork --mount-proc bash "$self"
  exit $?
fi

# ---- inside the namespaces: a private libvirtd
ip link set lo up
mount -t tmpfs -o mode=0755 bench-run /run
mkdir -p /run/libvirt /run/lock /run/bench
for d in /var/lib/libvirt /var/cache/libvirt /var/log/libvirt; do
  mkdir -p "$d"; mount -t tmpfs -o mode=0755 bench-state "$d"
done
install -d -m 0711 /var/lib/libvirt/images /var/cache/libvirt/qemu
install -d -m 0751 /var/lib/libvirt/qemu
install -d -m 0755 /var/log/libvirt/qemu
conf=/run/bench/etc-libvirt
mkdir -p "$conf/qemu/networks"
echo 'log_outputs = "3:file:/var/log/libvirt/libvirtd.log"' > "$conf/libvirtd.conf"
printf 'namespaces = [ ]\nsecurity_driver = "none"\n' > "$conf/qemu.conf"
: > "$conf/libvirt.conf"
mount --bind "$conf" /etc/libvirt
virtlogd -d
libvirtd -d
uri=qemu:///system
until virsh -q -c $uri version >/dev/null 2>&1; do sleep 0.5; done

pool=$BENCH_DIR/pool
virsh -q -c $uri pool-define-as bench dir --target "$pool" >/dev/null
virsh -q -c $uri pool-start bench >/dev/null
file=$BENCH_DIR/one.img
half=$((mib / 2))
dd if=/dev/zero of="$file" bs=1M count=$half status=none
head -c $(( (mib - half) * 1024 * 1024 )) /dev/urandom >> "$file"
sync
bytes=$(stat -c %s "$file")

secs() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b - a) / 1e9}'; }
rate() { awk -v s="$1" -v m="$mib" 'BEGIN {printf "%.0f", m / s}'; }

# The machine to clone: a 1 GiB sparse qcow2 disk with 64 MiB written.
virsh -q -c $uri vol-create-as bench src.qcow2 1G --format qcow2 >/dev/null
qemu-io -f qcow2 -c "write -P 0x33 0 64M" "$pool/src.qcow2" >/dev/null
cat > /run/bench/src.xml <<XML
<domain type='qemu'><name>bench-src</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
<os><type arch='x86_64'>hvm</type></os><devices>
<disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
<source file='$pool/src.qcow2'/><target dev='vda' bus='virtio'/></disk></devices></domain>
XML
virsh -q -c $uri define /run/bench/src.xml >/dev/null
virsh -q -c $uri pool-refresh bench >/dev/null

bench=$CARGO_TARGET_DIR/release/examples/storage-bench
# The disk writes back what one copy wrote while the next runs: Hangar and virsh take
# turns (Hangar, virsh, virsh, Hangar) and each figure is the mean of its two runs.
virsh_copy() {
  virsh -q -c $uri vol-create-as bench "virsh-$1.img" "$bytes" --format raw >/dev/null
  sync
  local t0 t1
  t0=$(date +%s%N); virsh -q -c $uri vol-upload --pool bench "virsh-$1.img" "$file"; t1=$(date +%s%N)
  echo "upload $(secs "$t0" "$t1")"
  sync
  t0=$(date +%s%N); virsh -q -c $uri vol-download --pool bench "virsh-$1.img" "$file.virsh-$1"; t1=$(date +%s%N)
  echo "download $(secs "$t0" "$t1")"
  rm -f "$file.virsh-$1"
}
runs=$("$bench" $uri bench "$file" hangar-1; virsh_copy 1; virsh_copy 2; "$bench" $uri bench "$file" hangar-2)
cmp -s "$file" "$file.hangar-2" || { echo "storage-bench: Hangar's download differs" >&2; exit 1; }
echo "$runs" >&2
# Hangar's lines have 8 fields ("upload 1.57 s 652 MiB/s gap 13 ms"), virsh's 2.
mean() { echo "$runs" | awk -v k="$1" -v nf="$2" '$1 == k && NF == nf {s += $2; n++} END {printf "%.2f", s / n}'; }
worst_gap() { echo "$runs" | awk -v k="$1" '$1 == k && NF == 8 {if ($7 > m) m = $7} END {print m + 0}'; }
h_up=$(mean upload 8); h_down=$(mean download 8)
v_up=$(mean upload 2); v_down=$(mean download 2)
h_up_gap=$(worst_gap upload); h_down_gap=$(worst_gap download)

out=$("$bench" $uri clone bench-src)
echo "$out" >&2
h_clone=$(echo "$out" | awk '/^clone/ {print $2}')
sync
t0=$(date +%s%N)
virt-clone --connect $uri --original bench-src --name bench-virt-clone \
  --file "$pool/bench-virt-clone.qcow2" --check all=off >/dev/null 2>&1
t1=$(date +%s%N)
v_clone=$(secs "$t0" "$t1")

echo ""
echo "storage benchmark: ${mib} MiB file (half zeros, half random) in a dir pool, mean of 2 runs each; clone of a 1 GiB qcow2 (64 MiB written)"
printf '%-22s %10s %10s %14s\n' "" "seconds" "MiB/s" "longest gap"
printf '%-22s %10s %10s %14s\n' "upload, Hangar" "$h_up" "$(rate "$h_up")" "${h_up_gap} ms"
printf '%-22s %10s %10s %14s\n' "upload, virsh" "$v_up" "$(rate "$v_up")" "-"
printf '%-22s %10s %10s %14s\n' "download, Hangar" "$h_down" "$(rate "$h_down")" "${h_down_gap} ms"
printf '%-22s %10s %10s %14s\n' "download, virsh" "$v_down" "$(rate "$v_down")" "-"
printf '%-22s %10s %10s %14s\n' "clone, Hangar" "$h_clone" "-" "-"
printf '%-22s %10s %10s %14s\n' "clone, virt-clone" "$v_clone" "-" "-"
