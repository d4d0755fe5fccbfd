#!/usr/bin/env bash
# The test command. Runs everything CI runs, in this order:
#
#   1. build-aux/install-deps.sh --test    system packages (apt), idempotent
#   2. cargo fmt --check, the module rules (build-aux/check-modules.py),
#      cargo clippy --all-targets -- -D warnings
#   3. the validators: desktop-file-validate, appstream-util validate-relax,
#      glib-compile-schemas --strict (meson test --suite validate; no cargo build)
#   4. a private libvirtd with QEMU in a network namespace of its own (and a second
#      host beside it for migrations: build-aux/second-host.sh; a test LAN with
#      NetworkManager on a private system bus: build-aux/test-lan.sh), then
#      cargo test --all-targets -- --include-ignored under Xvfb and a D-Bus session
#      bus, inside that namespace
#
# and ends with one line `hangar: N passed, N failed`. The exit status is the tests'.
#
# Needs root (network and mount namespaces); run as another user it asks sudo. The
# private libvirtd never touches a libvirtd of the host: it gets tmpfs on /run,
# /var/lib/libvirt, /var/cache/libvirt and /var/log/libvirt, a configuration of its own
# bind-mounted on /etc/libvirt, its own network namespace (bridges, dnsmasq and NAT rules
# stay there) and its own PID namespace. Nothing is left behind: on exit, Ctrl-C or
# TERM every process in the namespace is ended and the namespace removed.
#
# Environment: HANGAR_TEST_TIMEOUT (seconds for the cargo test run, default 3600).
#
# For developers: `build-aux/run-tests.sh --only CARGO-TEST-ARGS…` skips fmt, clippy and
# the validators and runs only `cargo test CARGO-TEST-ARGS… -- --include-ignored` in the
# same private libvirtd namespace, e.g. `build-aux/run-tests.sh --only --test networks_ui`.
# CI never passes --only.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
self="$repo/build-aux/run-tests.sh"
ns_prefix=hangar-test-

if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
  PATH="$HOME/.cargo/bin:$PATH"
fi

say() { printf '%s\n' "$*"; }
die() { printf 'run-tests: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------
# Inside the namespaces: PID 1 of a new PID namespace, in a private mount namespace and
# the test network namespace. Sets up and starts libvirtd, then runs the tests.
# ---------------------------------------------------------------------------------------
inside() {
  local work=$1
  shift
  local selection=("$@")
  [ "${#selection[@]}" -eq 0 ] && selection=(--all-targets)
  # As PID 1 of the namespace, our exit SIGKILLs everything left in it. On a signal,
  # first give every process a TERM and a moment (Xvfb removes its lock in /tmp).
  trap 'kill -TERM -1 2>/dev/null; sleep 1; exit 130' INT
  trap 'kill -TERM -1 2>/dev/null; sleep 1; exit 143' TERM

  ip link set lo up

  # Private runtime and state directories. /run is replaced whole, so the daemons' pid
  # files (/run/libvirtd.pid, /run/virtlogd.pid) and sockets are ours even where the
  # host runs libvirtd, and nothing reaches the host's systemd or system bus.
  mount -t tmpfs -o mode=0755 hangar-run /run
  mkdir -p /run/libvirt /run/lock /run/hangar-test
  install -d -m 0700 /run/user/0
  local d
  for d in /var/lib/libvirt /var/cache/libvirt /var/log/libvirt; do
    mkdir -p "$d"
    mount -t tmpfs -o mode=0755 hangar-state "$d"
  done
  install -d -m 0711 /var/lib/libvirt/images /var/lib/libvirt/boot /var/cache/libvirt/qemu
  install -d -m 0755 /var/lib/libvirt/dnsmasq /var/log/libvirt/qemu
  if id libvirt-qemu >/dev/null 2>&1; then
    install -d -m 0751 -o libvirt-qemu -g libvirt-qemu /var/lib/libvirt/qemu
  else
    install -d -m 0751 /var/lib/libvirt/qemu
  fi

  # A configuration of our own: the host's domains, networks, pools and hooks stay out
  # (its autostarted guests must not start here on their disks).
  local conf=/run/hangar-test/etc-libvirt
  mkdir -p "$conf/qemu/networks/autostart"
  if [ -d /etc/libvirt/nwfilter ]; then cp -a /etc/libvirt/nwfilter "$conf/"; fi
  cat > "$conf/libvirtd.conf" <<'EOF'
# build-aux/run-tests.sh: the private test daemon. Warnings and errors only.
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
EOF
  cat > "$conf/virtlogd.conf" <<'EOF'
# build-aux/run-tests.sh: the private test daemon.
log_outputs = "3:file:/var/log/libvirt/virtlogd.log"
EOF
  # SPICE over TLS: a CA of the run's own and a certificate for 127.0.0.1, where the
  # test guests listen (QEMU reads them as its user).
  local pki=/run/hangar-test/spice-pki
  install -d -m 0755 "$pki"
  (
    cd "$pki" || exit 1
    openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj "/CN=Hangar test CA" \
      -keyout ca-key.pem -out ca-cert.pem 2>/dev/null &&
      openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
        -keyout server-key.pem -out server.csr 2>/dev/null &&
      printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > server.ext &&
      openssl x509 -req -in server.csr -CA ca-cert.pem -CAkey ca-key.pem -CAcreateserial \
        -days 7 -extfile server.ext -out server-cert.pem 2>/dev/null
  ) || { say "run-tests: openssl could not make the SPICE test certificates" >&2; exit 1; }
  chmod 0644 "$pki"/*.pem
  cat > "$conf/qemu.conf" <<EOF
# build-aux/run-tests.sh: the private test daemon.
# /dev/kvm is hidden by a bind mount (see below); libvirt cannot carry such a mount into
# a per-guest /dev namespace, so QEMU shares this (already private) mount namespace.
namespaces = [ ]
# The host's AppArmor or SELinux policy knows nothing of this daemon's paths.
security_driver = "none"
# SPICE displays get a TLS port too; Hangar finds the CA through this setting.
spice_tls = 1
spice_tls_x509_cert_dir = "$pki"
EOF
  : > "$conf/libvirt.conf"
  # The stock NAT network, autostarted as on a fresh install.
  if [ -f /usr/share/libvirt/networks/default.xml ]; then
    cp /usr/share/libvirt/networks/default.xml "$conf/qemu/networks/default.xml"
    ln -s /etc/libvirt/qemu/networks/default.xml "$conf/qemu/networks/autostart/default.xml"
  fi
  mount --bind "$conf" /etc/libvirt

  # Software emulation only. Where /dev/kvm exists but KVM is not usable by the QEMU
  # user, libvirt's capability cache flips between "KVM" and "no KVM" and probes QEMU
  # again on every call (tens of seconds each time). An empty root-only file in its
  # place makes every probe agree: no KVM, guests are <domain type='qemu'>.
  if [ -e /dev/kvm ]; then
    : > /run/hangar-test/no-kvm
    chmod 0600 /run/hangar-test/no-kvm
    mount --bind /run/hangar-test/no-kvm /dev/kvm
  fi

  virtlogd -d
  libvirtd -d
  # The first connection waits for libvirt to probe QEMU's capabilities (a few seconds).
  local started=$SECONDS
  until virsh -q -c qemu:///system version >/dev/null 2>&1; do
    if [ $((SECONDS - started)) -ge 120 ] || ! pgrep -x libvirtd >/dev/null; then
      say "run-tests: libvirtd did not answer on qemu:///system after $((SECONDS - started)) s" >&2
      tail -n 30 /var/log/libvirt/libvirtd.log >&2 2>/dev/null || true
      keep_logs "$work"
      exit 1
    fi
    sleep 0.5
  done
  say "libvirtd: $(virsh -q -c qemu:///system version | sed -n 's/^Running hypervisor: //p'), answering after $((SECONDS - started)) s"

  # A second host (build-aux/second-host.sh), starting while the tests begin; the tests
  # that migrate wait for its `ready` file.
  bash "$repo/build-aux/second-host.sh" "$work/host-b"
  export HANGAR_TEST_HOST_B_DIR="$work/host-b"
  export HANGAR_TEST_HOST_B_URI="qemu+ssh://root@10.77.0.2/system?keyfile=$work/host-b/client_key&no_verify=1"

  # The test LAN: NetworkManager on a private system bus, hlan0 as the physical NIC
  # with dnsmasq behind it (build-aux/test-lan.sh), for the host-bridge tests.
  bash "$repo/build-aux/test-lan.sh" start "$work/lan" || { keep_logs "$work"; exit 1; }
  export HANGAR_TEST_LAN_DIR="$work/lan"
  export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$work/lan/bus"

  export HANGAR_TEST_LIBVIRT_URI=qemu:///system
  export HANGAR_TEST_LIBVIRTD_CMD="libvirtd -d"
  # What a passing test worked around (tests/daemon/mod.rs: notice): printed at the end.
  export HANGAR_TEST_NOTICES="$work/notices"
  export HANGAR_SCREENSHOT_DIR="$repo/tests/screenshots"
  export GSETTINGS_BACKEND=memory
  export GSK_RENDERER=cairo
  # A GLib critical is a bug of ours (or a GTK bug we trigger): it fails the test.
  export G_DEBUG=fatal-criticals
  export XDG_RUNTIME_DIR=/run/user/0
  export RUST_BACKTRACE="${RUST_BACKTRACE:-1}"
  unset NO_AT_BRIDGE
  mkdir -p "$HANGAR_SCREENSHOT_DIR"

  # xvfb-run keeps its auth file in TMPDIR; the tests get the caller's TMPDIR back.
  mkdir -p "$work/xvfb"
  local keep_tmpdir=(-u TMPDIR)
  if [ -n "${TMPDIR:-}" ]; then keep_tmpdir=("TMPDIR=$TMPDIR"); fi
  # A benchmark in these namespaces instead of the tests (--bench CMD…).
  if [ "${selection[0]}" = "--bench" ]; then
    "${selection[@]:1}"
    exit $?
  fi
  local timeout=${HANGAR_TEST_TIMEOUT:-3600} status=0
  # In the background, so that a signal reaches the trap above at once.
  (
    set +e
    TMPDIR="$work/xvfb" xvfb-run -a -s "-screen 0 1280x800x24" \
      env "${keep_tmpdir[@]}" dbus-run-session -- \
      timeout --kill-after=30 "$timeout" \
      cargo test "${selection[@]}" --no-fail-fast -- --include-ignored \
      2>&1 | tee "$work/cargo-test.log"
    exit "${PIPESTATUS[0]}"
  ) &
  wait "$!" || status=$?
  if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    say "run-tests: the tests did not finish within ${timeout} s (HANGAR_TEST_TIMEOUT)" >&2
  fi
  if [ "$status" -ne 0 ]; then keep_logs "$work"; fi
  exit "$status"
}

keep_logs() {
  cp -r /var/log/libvirt "$1/libvirt-logs" 2>/dev/null || true
  cp "$1/host-b/"*.log "$1/libvirt-logs/" 2>/dev/null || true
  cp "$1/lan/nm.log" "$1/lan/dnsmasq.log" "$1/libvirt-logs/" 2>/dev/null || true
}

if [ "${1:-}" = "--inside-namespace" ]; then
  shift
  inside "$@"
fi

only=()
bench=()
if [ "${1:-}" = "--bench" ]; then
  # For bench/…: run a benchmark inside the namespaces with both test hosts.
  bench=("$@")
  [ "${#bench[@]}" -gt 1 ] || die "--bench needs a command"
  only=(--bench)
fi
if [ "${1:-}" = "--only" ]; then
  shift
  only=("$@")
  [ "${#only[@]}" -gt 0 ] || die "--only needs cargo test arguments, e.g. --only --test networks_ui"
fi

# ---------------------------------------------------------------------------------------
# Outside: checks, validators, then the namespace.
# ---------------------------------------------------------------------------------------
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || die "needs root for its network namespace; run it as root"
  say "run-tests: needs root for its network namespace; asking sudo"
  # Fetch crates as this user first, so root writes nothing into their cargo home;
  # files root creates under target/ and tests/screenshots are given back at the end.
  cargo fetch --quiet || true
  exec sudo --preserve-env=CI,HANGAR_TEST_TIMEOUT,RUST_BACKTRACE env \
    PATH="$PATH" HOME="$HOME" \
    CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" \
    HANGAR_TESTS_OWNER="$(id -u):$(id -g)" \
    bash "$self" "$@"
fi

ns="$ns_prefix$$"
work=$(mktemp -d /tmp/hangar-tests.XXXXXX)

# End every process in a network namespace and delete it.
remove_namespace() {
  local name=$1 pids tries=0
  ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$name" || return 0
  pids=$(ip netns pids "$name" 2>/dev/null || true)
  if [ -n "$pids" ]; then
    # shellcheck disable=SC2086 # a list of pids
    kill -TERM $pids 2>/dev/null || true
    while [ -n "$(ip netns pids "$name" 2>/dev/null || true)" ] && [ "$tries" -lt 20 ]; do
      sleep 0.25
      tries=$((tries + 1))
    done
    pids=$(ip netns pids "$name" 2>/dev/null || true)
    # shellcheck disable=SC2086
    if [ -n "$pids" ]; then kill -KILL $pids 2>/dev/null || true; sleep 0.2; fi
  fi
  ip netns delete "$name" 2>/dev/null || true
}

cleaned=0
cleanup() {
  [ "$cleaned" = 1 ] && return 0
  cleaned=1
  remove_namespace "$ns"
  if [ -n "${HANGAR_TESTS_OWNER:-}" ]; then
    chown -R "$HANGAR_TESTS_OWNER" "$repo/target" "$repo/tests/screenshots" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Namespaces left by a run that was killed outright (its shell is gone).
for old in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^${ns_prefix}[0-9]*$" || true); do
  if ! kill -0 "${old#"$ns_prefix"}" 2>/dev/null; then
    say "run-tests: removing $old, left by an earlier run"
    remove_namespace "$old"
  fi
done

phase_start=0
phase() { phase_start=$SECONDS; say ""; say "==> $*"; }
phase_done() { say "    ($((SECONDS - phase_start)) s)"; }

phase "system packages (build-aux/install-deps.sh --test)"
bash "$repo/build-aux/install-deps.sh" --test
phase_done
say "    $(cargo --version), $(rustc --version | cut -d' ' -f1-2), libvirt $(virsh -v)"

validate_status=0 validate_passed=0 validate_failed=0
if [ "${#only[@]}" -eq 0 ]; then
  phase "cargo fmt --check"
  cargo fmt --check || die "cargo fmt --check failed: run cargo fmt"
  phase_done

  phase "module rules (build-aux/check-modules.py: no import cycles, no UI below it)"
  python3 "$repo/build-aux/check-modules.py" "$repo/src" || die "the module rules are broken"
  phase_done

  phase "cargo clippy --all-targets -- -D warnings"
  cargo clippy --all-targets -- -D warnings || die "cargo clippy failed"
  phase_done

  phase "validators (desktop-file-validate, appstream-util, glib-compile-schemas)"
  # Only the data targets are built: the validators need no cargo build.
  meson setup "$work/meson" --prefix=/usr >"$work/meson-setup.log" 2>&1 \
    || { cat "$work/meson-setup.log" >&2; die "meson setup failed"; }
  app_id=$(sed -n "s/^ *App ID *: *//p" "$work/meson-setup.log" | head -n 1)
  ninja -C "$work/meson" "data/$app_id.desktop" "data/$app_id.metainfo.xml" >"$work/ninja.log" 2>&1 \
    || { cat "$work/ninja.log" >&2; die "generating the desktop file and metainfo failed"; }
  meson test -C "$work/meson" --no-rebuild --suite validate --print-errorlogs \
    | tee "$work/validate.log" || validate_status=$?
  validate_passed=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' "$work/validate.log")
  validate_failed=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' "$work/validate.log")
  validate_passed=${validate_passed:-0}
  validate_failed=${validate_failed:-0}
  if [ "$validate_status" -ne 0 ] && [ "$validate_failed" -eq 0 ]; then validate_failed=1; fi
  phase_done
fi

selection=(--all-targets)
[ "${#only[@]}" -gt 0 ] && selection=("${only[@]}")
if [ "${#bench[@]}" -gt 0 ]; then
  only=("${bench[@]}")
else
  phase "build the tests (cargo test ${selection[*]} --no-run)"
  # Outside the namespace, where crates can still be downloaded.
  cargo test "${selection[@]}" --no-run || die "the tests do not build"
  phase_done
fi

phase "tests, with a private libvirtd in network namespace $ns"
ip netns add "$ns"
# In the background so that a TERM or Ctrl-C reaches our trap (and the cleanup) at once.
ip netns exec "$ns" \
  unshare --mount --propagation private --pid --fork --mount-proc \
  bash "$self" --inside-namespace "$work" "${only[@]}" &
test_status=0
wait "$!" || test_status=$?
phase_done

if [ "$test_status" -ne 0 ] && [ -d "$work/libvirt-logs" ]; then
  mkdir -p "$repo/target/hangar-tests"
  rm -rf "$repo/target/hangar-tests/libvirt-logs"
  cp -r "$work/libvirt-logs" "$repo/target/hangar-tests/libvirt-logs"
  say "run-tests: libvirt's logs of this run are in target/hangar-tests/libvirt-logs"
  # CI keeps only the output: the end of the daemon's log, where a crash would show.
  say "run-tests: the end of the test libvirtd's log:"
  tail -n 25 "$work/libvirt-logs/libvirtd.log" 2>/dev/null | sed 's/^/  /' | cut -c1-300
fi

passed=0 failed=0 ignored=0
if [ -f "$work/cargo-test.log" ]; then
  # "test result: ok. 12 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; ..."
  read -r passed failed ignored < <(
    sed -n 's/^test result: [A-Za-z]*\. \([0-9]*\) passed; \([0-9]*\) failed; \([0-9]*\) ignored.*/\1 \2 \3/p' \
      "$work/cargo-test.log" | awk '{p += $1; f += $2; i += $3} END {print p + 0, f + 0, i + 0}'
  )
fi
if [ "$test_status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  say "run-tests: cargo test ended with status $test_status without a failing test (a build error, a crashed test binary, a timeout or libvirtd not starting): counted as one failure"
  failed=1
fi

if [ -s "$work/notices" ]; then
  say ""
  say "run-tests: what the tests noticed and worked around:"
  sed 's/^/  /' "$work/notices"
fi

cleanup
passed=$((passed + validate_passed))
failed=$((failed + validate_failed))
summary="hangar: $passed passed, $failed failed"
if [ "$ignored" -gt 0 ]; then summary="$summary, $ignored skipped"; fi
say ""
say "$summary"
if [ "$test_status" -ne 0 ]; then exit "$test_status"; fi
exit "$validate_status"
