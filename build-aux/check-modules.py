#!/usr/bin/env python3
"""The house rules of Hangar's modules, checked on the source tree.

  build-aux/check-modules.py [SRC]        (SRC defaults to src/)

Fails (exit 1, saying where) when
  - source files import each other, directly or around a longer cycle: a file's
    imports are every `use` and every path it names (`crate::…`, `super::…`,
    `self::…`, or a child module it declares), resolved to the file that defines
    the module named; declaring a child (`mod x;`) is not an import;
  - anything in `backend/` or `model/` imports `ui/`;
  - anything in `backend/` imports `model/`, or names GTK (`gtk::`, `adw::`, `gdk::`):
    the backend is tested without a display.
It prints a line per problem and the count of files and imports it read.
"""

import os
import re
import sys


def strip_comments_and_strings(text):
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif c == '"':
            # A string (raw strings r"…"/r#"…"# are handled below).
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('""')
            i = j + 1
        elif c == "r" and re.match(r'r#*"', text[i:i + 10]) and (i == 0 or not text[i - 1].isalnum()):
            m = re.match(r'r(#*)"', text[i:])
            end = '"' + m.group(1)
            j = text.find(end, i + len(m.group(0)))
            out.append('""')
            i = n if j < 0 else j + len(end)
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", text[i:i + 4]):
            out.append("' '")
            i += len(re.match(r"'(\\.|[^\\'])'", text[i:]).group(0))
        else:
            out.append(c)
            i += 1
    return "".join(out)


def module_path(root, path):
    rel = os.path.relpath(path, root)[:-3].split(os.sep)
    if rel[-1] in ("mod", "lib", "main"):
        rel = rel[:-1]
    return tuple(rel)


def expand_use(tree):
    """`a::{b, c::{d, e}}` -> [a::b, a::c::d, a::c::e] (as lists of segments)."""
    tree = re.sub(r"\s+", "", tree)
    out = []

    def walk(prefix, s):
        depth, start, parts = 0, 0, []
        for i, ch in enumerate(s):
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            elif ch == "," and depth == 0:
                parts.append(s[start:i])
                start = i + 1
        parts.append(s[start:])
        for p in parts:
            if not p:
                continue
            if "{" in p:
                head, rest = p.split("{", 1)
                segs = [x for x in head.split("::") if x]
                walk(prefix + segs, rest[:-1])
            else:
                p = p.split("as")[0] if re.search(r"\bas\b", p) else p
                out.append(prefix + [x for x in p.split("::") if x and x != "*"])

    walk([], tree)
    return out


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "src"
    files = {}
    for d, _, names in os.walk(root):
        for f in names:
            if f.endswith(".rs"):
                p = os.path.join(d, f)
                files[p] = strip_comments_and_strings(open(p, encoding="utf-8").read())
    by_module = {module_path(root, p): p for p in files}

    # What each file defines at its top level, and what it re-exports (`pub use`):
    # a path through a module's re-export leads to the file that defines the item, so
    # a facade `mod.rs` gathering its children's items makes no cycle with them.
    defined = {}
    item = re.compile(
        r"(?m)^(?:(?:    )?pub(?:\([^)]*\))?\s+(?:struct|enum)\s+(\w+)"
        r"|pub(?:\([^)]*\))?\s+(?:unsafe\s+)?(?:fn|const|static|type|trait|mod)\s+(\w+))"
    )
    for p, text in files.items():
        defined[p] = {a or b for a, b in item.findall(text)}
    reexports = {p: {} for p in files}

    def module_file(segs):
        return by_module.get(tuple(segs))

    def resolve(segments, depth=0):
        for k in range(len(segments), 0, -1):
            f = by_module.get(tuple(segments[:k]))
            if f:
                if k < len(segments) and depth < 8:
                    target = reexports.get(f, {}).get(segments[k])
                    if target:
                        return target
                return f
        return None

    # Re-exports, to a fixed point (a facade may re-export a facade).
    for _ in range(4):
        for p, text in files.items():
            me = list(module_path(root, p))
            for m in re.finditer(r"\bpub\s+use\s+([^;]+);", text):
                for segs in expand_use(m.group(1)):
                    if not segs:
                        continue
                    if segs[0] == "crate":
                        a = segs[1:]
                    elif segs[0] == "super":
                        base = list(me)
                        while segs and segs[0] == "super":
                            base = base[:-1]
                            segs = segs[1:]
                        a = base + segs
                    elif segs[0] == "self":
                        a = me + segs[1:]
                    else:
                        a = me + segs
                    glob = m.group(1).strip().endswith("*") and module_file(a)
                    if glob:
                        src = module_file(a)
                        for name in defined.get(src, ()):
                            reexports[p].setdefault(name, src)
                        for name, t in reexports.get(src, {}).items():
                            reexports[p].setdefault(name, t)
                    else:
                        src = resolve(a)
                        if src and src != p:
                            reexports[p].setdefault(a[-1], src)

    edges = {}
    problems = []
    for p, text in files.items():
        me = list(module_path(root, p))
        is_dir_module = os.path.basename(p) in ("mod.rs", "lib.rs", "main.rs")
        children = set(re.findall(r"\bmod\s+(\w+)\s*;", text))
        deps = set()

        # Inline modules (`mod tests { … }`, `mod imp { … }`): inside one, `super` is
        # this file's own module.
        inline = []
        for m in re.finditer(r"\bmod\s+\w+\s*\{", text):
            depth, j = 0, m.end() - 1
            while j < len(text):
                if text[j] == "{":
                    depth += 1
                elif text[j] == "}":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            inline.append((m.end(), j))

        def nesting(pos):
            return sum(1 for a, b in inline if a <= pos < b)

        def absolute(segs, pos=0):
            """The module path `segs` names from this file, or None (an extern crate)."""
            if not segs:
                return None
            head = segs[0]
            # The module of this file's items: for foo.rs it is foo; super is its parent.
            # Inside inline modules the base is deeper by one for each (`#` marks it).
            here = list(me) + ["#"] * nesting(pos)
            if head == "crate":
                return segs[1:]
            if head in ("super", "self"):
                base = list(here)
                while segs and segs[0] in ("super", "self"):
                    if segs[0] == "super":
                        base = base[:-1]
                    segs = segs[1:]
                a = base + segs
            elif head in children:
                a = list(me) + segs
            else:
                return None
            # Still inside an inline module: an item of this file.
            return [] if "#" in a else a

        paths = []
        for m in re.finditer(r"\buse\s+([^;]+);", text):
            paths.extend((segs, m.start()) for segs in expand_use(m.group(1)))
        for m in re.finditer(r"\b((?:crate|super|self)(?:::\w+)+)", text):
            paths.append((m.group(1).split("::"), m.start()))
        for child in children:
            for m in re.finditer(r"(?<![\w:])" + child + r"((?:::\w+)+)", text):
                paths.append(([child] + m.group(1).split("::")[1:], m.start()))
        for segs, pos in paths:
            a = absolute(segs, pos)
            if not a:
                continue
            target = resolve(a)
            if target and target != p:
                deps.add(target)
        edges[p] = deps
        rel = os.path.relpath(p, root)
        for t in deps:
            trel = os.path.relpath(t, root)
            if rel.startswith(("backend/", "model/")) and trel.startswith("ui/"):
                problems.append(f"{rel} imports the UI: {trel}")
            if rel.startswith("backend/") and trel.startswith("model/"):
                problems.append(f"{rel} imports the models: {trel}")
        if rel.startswith("backend/") and re.search(r"\b(gtk|adw|gdk)::", text):
            problems.append(f"{rel} names GTK: the backend must build and test without it")
        del is_dir_module

    # Cycles: strongly connected components of more than one file (Tarjan).
    index, low, stack, on, sccs = {}, {}, [], set(), []
    counter = [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in edges:
        if v not in index:
            strong(v)
    for comp in sccs:
        rels = [os.path.relpath(c, root) for c in comp]
        pairs = [
            f"{os.path.relpath(a, root)} -> {os.path.relpath(b, root)}"
            for a in comp
            for b in edges[a]
            if b in comp
        ]
        problems.append("files import each other: " + ", ".join(rels) + " (" + "; ".join(pairs) + ")")

    n_edges = sum(len(d) for d in edges.values())
    for pr in problems:
        print("check-modules: " + pr)
    print(f"check-modules: {len(files)} files, {n_edges} imports, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
