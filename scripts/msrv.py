#!/usr/bin/env python3
"""The Rust version mock-redis's dependencies require, per feature set.

    scripts/msrv.py           # one line per feature set, then the maximum
    scripts/msrv.py --check   # also fail unless Cargo.toml's rust-version is that maximum

For each feature set (no features, each feature alone, all features) it lists
the packages a user's build compiles: the normal and build dependency graph
of `cargo tree -e normal,build --target all` (dev-dependencies left out,
every platform's dependencies in, features resolved as for that set), looks
up each package's declared `rust_version` in `cargo metadata`, and prints the
highest with the package that sets it. The crate's edition counts too
(edition 2024 needs Rust 1.85). Versions come from Cargo.lock: a newer lock
file can raise the answer, so run it after `cargo update`.

The crate's own code is not measured here; with `rust-version` set, clippy's
`incompatible_msrv` lint (on by default) flags std APIs newer than it.
"""

import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EDITION_MSRV = {"2015": (1, 0), "2018": (1, 31), "2021": (1, 56), "2024": (1, 85)}


def parse_version(v):
    """'1.85' or '1.85.0' -> (1, 85): patch levels do not matter for MSRV."""
    parts = [int(x) for x in v.split(".")]
    return tuple((parts + [0, 0])[:2])


def show(v):
    return f"{v[0]}.{v[1]}"


def cargo(*args):
    return subprocess.run(
        ["cargo", *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout


def main():
    meta = json.loads(cargo("metadata", "--format-version", "1", "--locked"))
    root = next(p for p in meta["packages"] if p["id"] == meta["resolve"]["root"])
    rust_version = {(p["name"], p["version"]): p.get("rust_version") for p in meta["packages"]}
    direct = {d["name"] for d in root["dependencies"] if d["kind"] != "dev"}
    features = sorted(f for f in root["features"] if f != "default")

    sets = [("no features", ["--no-default-features"])]
    sets += [(f, ["--no-default-features", "--features", f]) for f in features]
    sets += [("all features", ["--all-features"])]

    line = re.compile(r"^(\S+) v(\S+)")
    overall = (parse_version("1.0"), "")
    for label, flags in sets:
        out = cargo("tree", "--locked", "-e", "normal,build", "--target", "all",
                    "--prefix", "none", "-f", "{p}", *flags)
        packages = set()
        for text in out.splitlines():
            m = line.match(text)
            if m and m.group(1) != root["name"]:
                packages.add((m.group(1), m.group(2)))
        need = EDITION_MSRV[root["edition"]]
        setters = [f"{root['name']} (edition {root['edition']})"]
        # Direct dependencies first: they are the ones to change.
        for name, version in sorted(packages, key=lambda p: (p[0] not in direct, p)):
            declared = rust_version.get((name, version))
            if not declared:
                continue
            v = parse_version(declared)
            if v > need:
                need, setters = v, []
            if v == need:
                setters.append(f"{name} {version}")
        who = ", ".join(setters[:3]) + (f" and {len(setters) - 3} more" if len(setters) > 3 else "")
        print(f"{label:>14}: Rust {show(need)} (set by {who}; {len(packages)} packages)")
        if need > overall[0]:
            overall = (need, who)

    print(f"{'maximum':>14}: Rust {show(overall[0])} (set by {overall[1]})")
    if "--check" in sys.argv[1:]:
        declared = root.get("rust_version")
        if declared is None or parse_version(declared) != overall[0]:
            print(f"msrv.py: Cargo.toml declares rust-version = {declared!r}; "
                  f"the dependencies require {show(overall[0])}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
