#!/usr/bin/env bash
# Installs the system packages Hangar needs to build, run and test, on Debian 12 / Ubuntu
# (apt). Idempotent: does nothing when everything is present. Run as root or with sudo.
#
#   build-aux/install-deps.sh          build + run packages
#   build-aux/install-deps.sh --test   also what the test suite needs (libvirtd, QEMU, Xvfb…)
#
# Fedora: sudo dnf install gtk4-devel libadwaita-devel libvirt-devel gtk-vnc2-devel \
#   vte291-gtk4-devel gtksourceview5-devel libsecret-devel meson gettext desktop-file-utils \
#   libappstream-glib libvirt-daemon-kvm qemu-system-x86 qemu-img xorg-x11-server-Xvfb \
#   python3-pyatspi ImageMagick dbus-daemon iproute gnome-keyring xclip libosinfo-devel \
#   osinfo-db xorriso libosinfo edk2-ovmf
set -euo pipefail

want_tests=0
[ "${1:-}" = "--test" ] && want_tests=1

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

build_pkgs=(
  pkg-config gcc libgtk-4-dev libadwaita-1-dev libvirt-dev libgvnc-1.0-dev
  libvte-2.91-gtk4-dev libgtksourceview-5-dev libsecret-1-dev libglib2.0-dev-bin gettext
  meson ninja-build
  desktop-file-utils appstream-util libvirt-clients
  libosinfo-1.0-dev osinfo-db xorriso acl
  libspice-client-glib-2.0-dev
  # Without it libusb1-sys (under spice-client-glib's crate) builds a static libusb of
  # its own whose symbols interpose the system one: SPICE USB redirection then fails.
  libusb-1.0-0-dev
  # GIO's TLS (Hangar's own TLS for SPICE channels through SSH tunnels).
  glib-networking
  # SPICE audio: spice-client-glib's GStreamer pipeline (appsrc, audioconvert,
  # autoaudiosink); only suggested by the library, so named here.
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good
)
test_pkgs=(
  libvirt-daemon-system libvirt-daemon-driver-qemu qemu-system-x86 qemu-utils dnsmasq-base iproute2 iptables
  xvfb xauth dbus dbus-x11 at-spi2-core python3 python3-pyatspi python3-gi imagemagick
  libxml2-utils procps psmisc xdotool xclip gnome-keyring
  openssh-server openssh-client netcat-openbsd openbox x11-utils
  mount e2fsprogs lvm2 libosinfo-bin cpio ovmf swtpm swtpm-tools
  # The SPICE TLS test's certificates
  openssl
  # The host-bridge tests: NetworkManager on the test LAN, see build-aux/test-lan.sh
  network-manager
)
pkgs=("${build_pkgs[@]}")
[ "$want_tests" = 1 ] && pkgs+=("${test_pkgs[@]}")

missing=()
for p in "${pkgs[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ! command -v cargo >/dev/null 2>&1; then
  echo "install-deps: cargo not found; install Rust from your distribution or rustup first" >&2
  exit 1
fi

if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Keep package scripts from starting daemons on machines without an init (containers, CI):
# the test command starts libvirtd itself, in a network namespace of its own.
policy_added=0
if [ ! -e /usr/sbin/policy-rc.d ] && [ -z "$sudo" ] && [ ! -d /run/systemd/system ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
  policy_added=1
fi
cleanup() { if [ "$policy_added" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi; }
trap cleanup EXIT

$sudo apt-get update -qq
extra=()
# Some images ship qemu-utils from backports, which conflicts with the distribution's
# qemu-system-x86: take the qemu-utils that matches qemu-system-x86's candidate.
if printf '%s\n' "${missing[@]}" | grep -qx qemu-system-x86; then
  cand=$(apt-cache policy qemu-system-x86 | awk '/Candidate:/ {print $2}')
  inst=$(dpkg-query -W -f='${Version}' qemu-utils 2>/dev/null || true)
  if [ -n "$cand" ] && [ -n "$inst" ] && [ "$inst" != "$cand" ]; then
    extra=(--allow-downgrades "qemu-utils=$cand")
  fi
fi
$sudo apt-get install -y -qq --no-install-recommends "${extra[@]}" "${missing[@]}"
