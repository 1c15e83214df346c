#!/usr/bin/env python3
"""Checks that includes follow the component order (docs/decisions/0029).

A file of component X may include "concord/Y/..." only when Y comes before X
in ORDER. `testing` (fakes and test data) may be included only by test code:
*_test.cc files and test-support headers (testing/ folders, *_testing.h,
*test_util*.h, test_*.h). No file includes another component's internal/
headers. Boost.Beast and Boost.Asio appear only in net. Known exceptions are
listed with their reason; an exception that no longer occurs fails too, so
the list only shrinks.

  scripts/check_layering.py [SRC_DIR]     (default: src/concord)
Exit 0 when the tree follows the rules, 1 with one line per violation.
"""
import os
import re
import sys

# Lowest first. DESIGN §10 order adapted to today's components; decision
# 0029 records where it differs (seed before manifest; attester, the evidence
# producers, after collateral).
ORDER = [
    "common", "crypto", "attest", "seed", "manifest", "ca", "atls", "net", "store",
    "history", "collateral", "attester", "discovery", "coordinator", "wire", "peer", "api",
    "client", "concordd", "cli", "initializer",
]
TEST_ONLY = "testing"

# (file relative to SRC_DIR, included path): why it is allowed for now.
EXCEPTIONS = {
    ("initializer/workload_policy.cc", "manifest/internal/fields.h"):
        "the workload policy document reuses the manifest's field readers; it is replaced by "
        "the initdata document (initdata issue)",
    ("initializer/workload_policy.cc", "manifest/internal/reference_values_json.h"):
        "as above",
    ("initializer/workload_policy.cc", "manifest/internal/strict_json.h"):
        "as above",
}

INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^">]+)[">]')


def is_test_code(rel):
    name = os.path.basename(rel)
    return (name.endswith("_test.cc") or "/testing/" in "/" + rel or
            name.endswith("_testing.h") or "test_util" in name or name.startswith("test_"))


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "src/concord"
    rank = {c: i for i, c in enumerate(ORDER)}
    problems = []
    used_exceptions = set()
    for component in sorted(os.listdir(src)):
        top = os.path.join(src, component)
        if not os.path.isdir(top):
            continue
        if component not in rank and component != TEST_ONLY:
            problems.append(f"{component}/: a component not in the layering order "
                            "(add it to ORDER in scripts/check_layering.py and decision 0029)")
            continue
        for folder, _, files in os.walk(top):
            for name in sorted(files):
                if not name.endswith((".h", ".cc")):
                    continue
                path = os.path.join(folder, name)
                rel = os.path.relpath(path, src)
                test_code = is_test_code(rel) or component == TEST_ONLY
                with open(path, encoding="utf-8", errors="replace") as f:
                    for number, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if not m:
                            continue
                        target = m.group(1)
                        where = f"{rel}:{number}: {target}"
                        if target.startswith(("boost/beast", "boost/asio")) and component != "net":
                            problems.append(f"{where}: Boost.Beast/Asio only in net")
                            continue
                        if not target.startswith("concord/"):
                            continue
                        parts = target.split("/")
                        other = parts[1]
                        rest = "/".join(parts[2:])
                        key = (rel, f"{other}/{rest}")
                        if key in EXCEPTIONS:
                            used_exceptions.add(key)
                            continue
                        if other == component:
                            continue
                        if rest.startswith("internal/") or "/internal/" in rest:
                            problems.append(f"{where}: another component's internal header")
                            continue
                        if other == TEST_ONLY:
                            if not test_code:
                                problems.append(f"{where}: testing is for test code only")
                            continue
                        if component == TEST_ONLY:
                            continue  # fakes may use any production component
                        if other not in rank:
                            problems.append(f"{where}: unknown component {other}")
                        elif rank[other] >= rank[component]:
                            problems.append(f"{where}: {component} may not depend on {other} "
                                            f"(it comes later in the order)")
    for key in sorted(set(EXCEPTIONS) - used_exceptions):
        problems.append(f"{key[0]}: the exception for {key[1]} no longer occurs: remove it")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
