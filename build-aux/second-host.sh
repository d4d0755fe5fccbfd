#!/usr/bin/env bash
# A second libvirt host for the tests, started by build-aux/run-tests.sh inside its
# namespaces (never run by hand):
#
#   build-aux/second-host.sh DIR
#
# "hangar-host-b" is a network namespace joined to the test namespace by a veth pair
# (10.77.0.1 here, 10.77.0.2 there), plus a mount and UTS namespace of its own: tmpfs
# on /run, /var/lib/libvirt, /var/cache/libvirt and /var/log/libvirt, its own
# /etc/libvirt (another host UUID; no cgroups, which the first host's daemon owns),
# its own libvirtd, and an sshd on 10.77.0.2:22 taking the test client key (and the
# password in DIR/password). Guests migrate between the two daemons as between two
# machines: each has its own images directory.
#
# DIR gets client_key, password, known_hosts, ssh_config, the daemon's logs, and
# `ready` once libvirtd and sshd answer (or `failed` with the reason). Tests read the
# URI from HANGAR_TEST_HOST_B_URI (set by run-tests.sh).
set -euo pipefail

self=$(readlink -f "${BASH_SOURCE[0]}")
dir=$1
addr_a=10.77.0.1
addr_b=10.77.0.2

# ---------------------------------------------------------------------------------------
# Inside host B: its mounts, daemons and sshd.
# ---------------------------------------------------------------------------------------
inside() {
  hostname hangar-host-b
  ip link set lo up
  mount -t tmpfs -o mode=0755 hangar-b-run /run
  mkdir -p /run/libvirt /run/lock /run/sshd
  local d
  for d in /var/lib/libvirt /var/cache/libvirt /var/log/libvirt; do
    mkdir -p "$d"
    mount -t tmpfs -o mode=0755 hangar-b-state "$d"
  done
  install -d -m 0711 /var/lib/libvirt/images /var/lib/libvirt/boot /var/cache/libvirt/qemu
  install -d -m 0755 /var/lib/libvirt/dnsmasq /var/log/libvirt/qemu
  if id libvirt-qemu >/dev/null 2>&1; then
    install -d -m 0751 -o libvirt-qemu -g libvirt-qemu /var/lib/libvirt/qemu
  else
    install -d -m 0751 /var/lib/libvirt/qemu
  fi
  local conf=$dir/etc-libvirt
  mkdir -p "$conf/qemu/networks/autostart"
  if [ -d /etc/libvirt/nwfilter ]; then cp -a /etc/libvirt/nwfilter "$conf/"; fi
  cat > "$conf/libvirtd.conf" <<EOF
# build-aux/second-host.sh: the second test host. Another machine to libvirt.
host_uuid = "6a4b7c1e-2d3f-4e5a-9b8c-0d1e2f3a4b5c"
log_outputs = "3:file:$dir/libvirtd-b.log"
EOF
  cat > "$conf/virtlogd.conf" <<EOF
log_outputs = "3:file:$dir/virtlogd-b.log"
EOF
  cat > "$conf/qemu.conf" <<'EOF'
# build-aux/second-host.sh: as the first test host, and without cgroups (the first
# host's daemon places its guests in the same cgroup tree).
namespaces = [ ]
security_driver = "none"
cgroup_controllers = [ ]
# Post-copy migration into this host: the incoming QEMU (7.2) needs a userfaultfd,
# which the kernel gives only with CAP_SYS_PTRACE while vm.unprivileged_userfaultfd
# is 0 (the default) - so root, with its capabilities kept. Host A keeps Debian's
# libvirt-qemu user, which cannot: both kinds of destination are tested.
user = "root"
group = "root"
clear_emulator_capabilities = 0
EOF
  : > "$conf/libvirt.conf"
  mount --bind "$conf" /etc/libvirt
  virtlogd -d
  libvirtd -d
  local started=$SECONDS
  until virsh -q -c qemu:///system version >/dev/null 2>&1; do
    if [ $((SECONDS - started)) -ge 120 ] || ! pgrep -x libvirtd >/dev/null; then
      echo "libvirtd of host B did not answer" > "$dir/failed"
      exit 1
    fi
    sleep 0.5
  done
  # A default pool, as on a fresh install.
  virsh -q -c qemu:///system pool-define-as default dir --target /var/lib/libvirt/images >/dev/null
  virsh -q -c qemu:///system pool-start default >/dev/null
  virsh -q -c qemu:///system pool-autostart default >/dev/null

  # root's password here only (a private copy of /etc/shadow), for the tests of
  # password logins.
  local password hash
  password="hangar-b-$RANDOM$RANDOM"
  printf '%s' "$password" > "$dir/password"
  hash=$(python3 -W ignore -c 'import crypt, sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_SHA512)))' "$password")
  sed "s|^root:[^:]*:|root:$hash:|" /etc/shadow > "$dir/shadow"
  chmod 0640 "$dir/shadow"
  mount --bind "$dir/shadow" /etc/shadow
  ssh-keygen -q -t ed25519 -N "" -f "$dir/host_key"
  cat > "$dir/sshd_config" <<EOF
ListenAddress $addr_b:22
HostKey $dir/host_key
AuthorizedKeysFile $dir/authorized_keys
StrictModes no
PermitRootLogin yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
UsePAM no
PidFile none
EOF
  /usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log"
  until nc -z "$addr_b" 22 2>/dev/null; do
    if [ $((SECONDS - started)) -ge 120 ]; then
      echo "sshd of host B did not listen" > "$dir/failed"
      exit 1
    fi
    sleep 0.1
  done
  touch "$dir/ready"
}

if [ "${2:-}" = "--inside" ]; then
  inside
  exit 0
fi

# ---------------------------------------------------------------------------------------
# In the test namespace: the link, the client's keys and ssh settings, then host B.
# ---------------------------------------------------------------------------------------
mkdir -p "$dir"
ip netns add hangar-host-b
ip link add hostb0 type veth peer name eth0 netns hangar-host-b
ip addr add "$addr_a/24" dev hostb0
ip link set hostb0 up
ip -n hangar-host-b addr add "$addr_b/24" dev eth0
ip -n hangar-host-b link set eth0 up
ssh-keygen -q -t ed25519 -N "" -f "$dir/client_key"
cp "$dir/client_key.pub" "$dir/authorized_keys"
# The client's known hosts stay in DIR, not in root's ~/.ssh.
cat > "$dir/ssh_config" <<EOF
Host *
  UserKnownHostsFile $dir/known_hosts
  GlobalKnownHostsFile /dev/null
EOF
mount --bind "$dir/ssh_config" /etc/ssh/ssh_config
ip netns exec hangar-host-b unshare --mount --uts --propagation private \
  bash "$self" "$dir" --inside > "$dir/start.log" 2>&1 &
