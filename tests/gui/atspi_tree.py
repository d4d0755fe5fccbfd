#!/usr/bin/python3
"""Print the accessible tree of one process, as a screen reader sees it.

Usage: atspi_tree.py PID [ROOT-NAME] [--all]

One line per object on screen (GTK 4.8 marks only windows "showing": visible objects
with a size are taken instead): depth, role, name and description, separated by
tabs (tabs and newlines in texts become spaces). With ROOT-NAME only the subtree of the
first window of that name is printed. Run by tests/gui/mod.rs while the test's GTK main
loop keeps answering. With --all every object the application presents is printed,
on screen or not, as a screen reader walking the tree meets them.
"""
import sys

import pyatspi


def clean(text):
    return (text or "").replace("\t", " ").replace("\n", " ")


EVERY = "--all" in sys.argv[1:]


def walk(obj, depth, out, seen):
    if obj is None or len(seen) > 20000:
        return
    key = hash(obj)
    if key in seen:
        return
    seen.add(key)
    try:
        states = obj.getState()
        if not EVERY and not states.contains(pyatspi.STATE_VISIBLE):
            return
        # What is not on screen (a hidden page of a stack) has no size. Objects that
        # are not drawn themselves (a stack's pages) have no extents at all.
        if depth > 0 and not EVERY:
            try:
                component = obj.queryComponent()
            except NotImplementedError:
                component = None
            if component is not None:
                e = component.getExtents(pyatspi.WINDOW_COORDS)
                if e.width <= 0 or e.height <= 0:
                    return
        out.append("%d\t%s\t%s\t%s" % (depth, obj.getRoleName(), clean(obj.name), clean(obj.description)))
        for i in range(obj.childCount):
            walk(obj.getChildAtIndex(i), depth + 1, out, seen)
    except Exception as e:  # an object that went away while we looked
        out.append("%d\terror\t%s\t" % (depth, clean(str(e))))


def main():
    args = [a for a in sys.argv[1:] if a != "--all"]
    pid = int(args[0])
    root_name = args[1] if len(args) > 1 else None
    desktop = pyatspi.Registry.getDesktop(0)
    for app in desktop:
        if app is None:
            continue
        try:
            if app.get_process_id() != pid:
                continue
        except Exception:
            continue
        roots = [app]
        if root_name is not None:
            roots = [w for w in app if w is not None and w.name == root_name][:1]
            if not roots:
                print("no window named %r" % root_name, file=sys.stderr)
                sys.exit(2)
        out = []
        for r in roots:
            walk(r, 0, out, set())
        print("\n".join(out))
        return
    print("no accessible application with pid %d" % pid, file=sys.stderr)
    sys.exit(3)


main()
