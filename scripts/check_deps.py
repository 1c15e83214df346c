#!/usr/bin/env python3
"""Checks that the build declares what the code includes (decision 0029).

Reads BUILD_DIR/target_graph.tsv (written at configure time by
cmake/target_graph.cmake) and the sources it names. Fails when:
  - a file of target T includes a Concord header of another target U and T
    does not declare U (target_link_libraries / DEPS / PUBLIC_DEPS), directly
    or through the public dependencies of what it declares (CMake's usage
    requirements: what a library's headers expose is part of its interface);
  - a public header of a library (not under internal/, not test support)
    includes a header of a target the library declares only as a private
    dependency: its dependents would reach that header without declaring it;
  - a library re-exports a private dependency on its interface (anything on
    INTERFACE_LINK_LIBRARIES that is neither a public dependency nor a
    link-only entry);
  - a Concord header is included but listed in no target's sources.

  scripts/check_deps.py BUILD_DIR [SOURCE_DIR]
Exit 0 when the build and the code agree, 1 with one line per problem.
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*"(concord/[^"]+)"')
GENEX = re.compile(r"^\$<(?:LINK_ONLY|BUILD_INTERFACE):(.*)>$")


def split(field):
    return [item for item in field.split("|") if item]


def strip_genex(item):
    m = GENEX.match(item)
    return m.group(1) if m else item


def is_test_support(path):
    name = os.path.basename(path)
    return (name.endswith("_test.cc") or "/testing/" in path or name.endswith("_testing.h") or
            "test_util" in name or name.startswith("test_"))


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    build = sys.argv[1]
    source = sys.argv[2] if len(sys.argv) > 2 else os.getcwd()
    src_root = os.path.realpath(os.path.join(source, "src"))
    targets = {}
    with open(os.path.join(build, "target_graph.tsv"), encoding="utf-8") as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if len(fields) != 7:
                continue
            name, kind, source_dir, sources, link, interface_link, public = fields
            files = []
            for s in split(sources):
                if s.startswith("$<"):
                    continue
                path = s if os.path.isabs(s) else os.path.join(source_dir, s)
                files.append(os.path.realpath(path))
            if kind == "INTERFACE_LIBRARY":
                link = interface_link  # a header-only target declares only its interface
            targets[name] = {
                "kind": kind,
                "files": files,
                "link": {strip_genex(x) for x in split(link)},
                "interface_link": split(interface_link),
                "public": set(split(public)),
            }

    def with_public_deps(start):
        """`start` and, transitively, what those declare as public dependencies
        (CMake's usage requirements)."""
        seen = set()
        stack = list(start)
        while stack:
            dep = stack.pop()
            if dep in seen:
                continue
            seen.add(dep)
            if dep in targets:
                stack.extend(targets[dep]["public"])
        return seen

    owners = {}
    for name, t in targets.items():
        for path in t["files"]:
            owners.setdefault(path, set()).add(name)

    problems = []
    for name in sorted(targets):
        t = targets[name]
        own = set(t["files"])
        reachable = with_public_deps(t["link"])
        exposed = with_public_deps(t["public"])
        for path in sorted(own):
            if not path.startswith(src_root + os.sep) and "/test/" not in path and \
               "/bench/" not in path and "/fuzz/" not in path:
                continue
            if not path.endswith((".h", ".cc")) or not os.path.exists(path):
                continue
            rel = os.path.relpath(path, source)
            public_header = (path.endswith(".h") and "/internal/" not in path and
                             not is_test_support(path) and t["kind"] != "EXECUTABLE")
            with open(path, encoding="utf-8", errors="replace") as f:
                for number, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    header = os.path.realpath(os.path.join(src_root, m.group(1)))
                    if header in own:
                        continue
                    where = f"{rel}:{number}: {m.group(1)}"
                    declaring = owners.get(header)
                    if not declaring:
                        problems.append(f"{where}: no target lists this header in its sources")
                        continue
                    if not declaring & reachable:
                        problems.append(f"{where}: {name} does not declare a dependency on "
                                        f"{' or '.join(sorted(declaring))}")
                        continue
                    if public_header and t["kind"] == "STATIC_LIBRARY" and \
                       not declaring & exposed:
                        problems.append(f"{where}: a public header of {name} includes "
                                        f"{' or '.join(sorted(declaring))}, a private dependency "
                                        "(make it PUBLIC_DEPS or keep the include out of the header)")
        if t["kind"] == "STATIC_LIBRARY" and name.startswith("concord_"):
            for item in t["interface_link"]:
                if item.startswith("$<LINK_ONLY:"):
                    continue
                if item not in t["public"]:
                    problems.append(f"{name}: re-exports {item} on its interface, "
                                    "which is not one of its public dependencies")

    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} problem(s): see docs/decisions/0029-component-order.md")
        return 1
    print(f"declared dependencies match the includes of {len(targets)} targets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
