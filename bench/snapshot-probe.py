#!/usr/bin/python3
"""Time virt-manager's snapshot list: start COMMAND (virt-manager showing a machine's
details window), wait for that window, find its snapshot list (the accessible table
named "snapshot-list", empty until the page is shown), press its "Snapshots" button
through AT-SPI, and time until the table holds N rows — one AT-SPI call per poll, so
the probe costs virt-manager little.

usage: snapshot-probe.py N -- COMMAND [ARG...]
Needs DISPLAY, a session bus and an AT-SPI bus (bench/snapshot-bench.sh sets them up),
and Debian's python3-pyatspi (run with /usr/bin/python3). Prints one JSON line:
  {"window_s": float|null, "list_s": float|null, "rows": int, "rss_mb": float|null}
"""
import json
import subprocess
import sys
import time

import pyatspi

want = int(sys.argv[1])
cmd = sys.argv[sys.argv.index("--") + 1:]
t0 = time.monotonic()
proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def app_of(pid):
    desktop = pyatspi.Registry.getDesktop(0)
    for i in range(desktop.childCount):
        a = desktop.getChildAtIndex(i)
        try:
            if a is not None and a.get_process_id() == pid:
                return a
        except Exception:
            pass
    return None


def find(acc, pred, depth=0):
    if acc is None or depth > 60:
        return None
    try:
        if pred(acc):
            return acc
        # Tables are not searched through: their cells are many and not wanted here.
        if acc.getRole() == pyatspi.ROLE_TABLE:
            return None
        for i in range(acc.childCount):
            hit = find(acc.getChildAtIndex(i), pred, depth + 1)
            if hit is not None:
                return hit
    except Exception:
        return None
    return None


def wait(pred, secs):
    end = time.monotonic() + secs
    while time.monotonic() < end and proc.poll() is None:
        app = app_of(proc.pid)
        hit = find(app, pred) if app is not None else None
        if hit is not None:
            return hit
        time.sleep(0.02)
    return None


def is_snapshots_button(a):
    role = a.getRole()
    return role in (pyatspi.ROLE_TOGGLE_BUTTON, pyatspi.ROLE_RADIO_BUTTON) and a.name == "Snapshots"


button = wait(is_snapshots_button, 90)
window_s = None if button is None else round(time.monotonic() - t0, 3)
table = wait(lambda a: a.getRole() == pyatspi.ROLE_TABLE and a.name == "snapshot-list", 30)
list_s, rows = None, 0
if button is not None and table is not None:
    time.sleep(2)
    start = time.monotonic()
    button.queryAction().doAction(0)
    end = start + 120
    while time.monotonic() < end:
        try:
            rows = table.queryTable().nRows
        except Exception:
            rows = 0
        if rows >= want:
            list_s = round(time.monotonic() - start, 3)
            break
        time.sleep(0.005)
rss_mb = None
if proc.poll() is None:
    time.sleep(1)
    for line in open(f"/proc/{proc.pid}/status"):
        if line.startswith("VmRSS"):
            rss_mb = round(int(line.split()[1]) / 1024, 1)
proc.terminate()
try:
    proc.wait(5)
except subprocess.TimeoutExpired:
    proc.kill()
print(json.dumps({"window_s": window_s, "list_s": list_s, "rows": rows, "rss_mb": rss_mb}))
