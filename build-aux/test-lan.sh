#!/usr/bin/env bash
# The test LAN and NetworkManager for the host-bridge tests, inside the test namespaces
# of build-aux/run-tests.sh (never on the host itself):
#
#   - a private system D-Bus of its own (DIR/bus), which the tests reach through
#     DBUS_SYSTEM_BUS_ADDRESS;
#   - a "router" network namespace, hangar-lan, with dnsmasq as the LAN's DHCP server
#     (10.88.0.0/24, gateway 10.88.0.1), joined by a veth pair whose near end, hlan0,
#     stands for the host's physical NIC;
#   - NetworkManager on that bus, with a DHCP profile for hlan0 as a fresh install has,
#     in a mount and UTS namespace of its own: its state on tmpfs, a private
#     /etc/resolv.conf, a read-only /sys (so it does not wait for a udev that is not
#     running), no hostname or DNS changes, and only hlan*, br* and hbr* devices managed
#     (libvirt's bridges and the other tests' devices stay its own).
#
#   test-lan.sh start DIR      all of the above; DIR/ready once hlan0 has its address
#   test-lan.sh start-nm DIR   NetworkManager again (the tests that stop it)
#   test-lan.sh stop-nm DIR    NetworkManager stopped; the network stays as it was
set -euo pipefail

cmd=${1:?usage: test-lan.sh start|start-nm|stop-nm DIR}
dir=${2:?usage: test-lan.sh start|start-nm|stop-nm DIR}
self="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/test-lan.sh"
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$dir/bus"

start_nm() {
  rm -f "$dir/nm.pid"
  # A mount namespace for NetworkManager alone: what it writes stays there.
  (
    unshare --mount --uts --propagation private bash "$self" nm-inside "$dir" \
      >>"$dir/nm.log" 2>&1 &
    echo $! >"$dir/nm.pid"
  )
  wait_until 100 "NetworkManager did not start" nm_running
}

nm_running() { nmcli -t -f RUNNING general status 2>/dev/null | grep -q running; }
lan_address() { ip -4 addr show dev hlan0 | grep -q 'inet 10\.88\.0\.'; }

# wait_until TENTHS WHY CMD…: CMD until it succeeds, at most TENTHS tenths of a second;
# else WHY and NetworkManager's last words.
wait_until() {
  local limit=$1 why=$2 tries=0
  shift 2
  until "$@"; do
    tries=$((tries + 1))
    if [ "$tries" -gt "$limit" ]; then
      echo "test-lan: $why" >&2
      tail -n 30 "$dir/nm.log" >&2 || true
      return 1
    fi
    sleep 0.1
  done
}

case "$cmd" in
nm-inside)
  # PID 1 of nothing: a child of unshare, in its own mount namespace.
  mount -o remount,bind,ro /sys
  mount -t tmpfs -o mode=0755 hangar-nm-state /var/lib/NetworkManager
  : >"$dir/resolv.conf"
  mount --bind "$dir/resolv.conf" /etc/resolv.conf
  exec NetworkManager --no-daemon --debug \
    --config="$dir/NetworkManager.conf" --config-dir="$dir/conf.d" \
    --state-file="$dir/NetworkManager.state"
  ;;
start)
  mkdir -p "$dir/conf.d" "$dir/system-connections"
  cat >"$dir/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$dir/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
EOF
  dbus-daemon --config-file="$dir/bus.conf" --fork --print-pid >"$dir/bus.pid"

  ip netns add hangar-lan
  ip link add hlan0 type veth peer name router0
  ip link set router0 netns hangar-lan
  ip -n hangar-lan link set lo up
  ip -n hangar-lan addr add 10.88.0.1/24 dev router0
  ip -n hangar-lan link set router0 up
  ip netns exec hangar-lan dnsmasq --no-resolv --no-hosts --no-ping --bind-interfaces \
    --interface=router0 --except-interface=lo --port=0 \
    --dhcp-range=10.88.0.50,10.88.0.99,12h --dhcp-option=option:router,10.88.0.1 \
    --dhcp-leasefile="$dir/leases" --pid-file="$dir/dnsmasq.pid" \
    --log-facility="$dir/dnsmasq.log" --log-dhcp

  cat >"$dir/NetworkManager.conf" <<EOF
# build-aux/test-lan.sh: NetworkManager of the test namespace.
[main]
plugins=keyfile
dhcp=internal
dns=none
rc-manager=unmanaged
hostname-mode=none
no-auto-default=*
# No polkit on this bus: root (the tests) may do everything, nobody else anything.
auth-polkit=root-only

[keyfile]
path=$dir/system-connections
unmanaged-devices=except:interface-name:hlan*;except:interface-name:br*;except:interface-name:hbr*

[connectivity]
enabled=false

[logging]
level=INFO
EOF
  # The host's wired connection, as the installer leaves it: DHCP.
  cat >"$dir/system-connections/Wired LAN.nmconnection" <<EOF
[connection]
id=Wired LAN
uuid=0d2f1b7c-5e3a-4a7e-9a51-3c1f0e8d6b21
type=ethernet
interface-name=hlan0

[ethernet]

[ipv4]
method=auto

[ipv6]
method=ignore
EOF
  chmod 0600 "$dir/system-connections/"*.nmconnection
  start_nm
  wait_until 300 "hlan0 got no address from the test LAN" lan_address
  touch "$dir/ready"
  ;;
start-nm)
  start_nm
  ;;
stop-nm)
  # unshare and bash exec into NetworkManager: the pid is NetworkManager's.
  if [ -f "$dir/nm.pid" ]; then
    pid=$(cat "$dir/nm.pid")
    kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  ;;
*)
  echo "usage: test-lan.sh start|start-nm|stop-nm DIR" >&2
  exit 2
  ;;
esac
