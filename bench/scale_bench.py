#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""ringsnap at 32 and at 256 nodes (4 data centers, real sshd hosts on one machine): wall time
and peak memory of exec, check, snapshot, verify and list --live, with `parallel-ssh true` beside
exec. Prints a Markdown table for docs/benchmarks.md.

    bench/scale_bench.py --build build [--sizes 32,256] [--runs 3]
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from exec_bench import ROOT, Lab  # noqa: E402

VERBS = [("exec -- true", ["exec", "--", "true"]), ("check", ["check"]), ("snapshot", ["snapshot", "--tag"]),
         ("verify", ["verify"]), ("list --live", ["list", "--live"])]


def measured(args):
    """(seconds, peak RSS in MiB, exit code) of one child."""
    start = time.monotonic()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    return time.monotonic() - start, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def run_size(ringsnap, nodes, runs):
    rows = {}
    with Lab(4, nodes // 4) as lab:
        for run in range(runs):
            tag = f"scale-{run}"
            for name, verb in VERBS:
                args = verb + [tag] if name in ("snapshot", "verify") else verb
                seconds, mib, code = measured([ringsnap, "-q", "-j", "64", "-c", lab.cluster_file, *args])
                if code not in (0, 1):  # check exits 1 for a warning-level problem
                    raise SystemExit(f"{name} on {nodes} nodes exited {code}")
                rows.setdefault(name, []).append((seconds, mib))
            seconds, mib, code = measured(lab.pssh_command(64, "true"))
            rows.setdefault("parallel-ssh true", []).append((seconds, mib))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=str(ROOT / "build"))
    parser.add_argument("--sizes", default="32,256")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    ringsnap = str(Path(args.build) / "src" / "ringsnap")
    sizes = [int(size) for size in args.sizes.split(",")]
    results = {size: run_size(ringsnap, size, args.runs) for size in sizes}
    print(f"## Scale: 32 and 256 lab nodes (4 data centers)\n")
    print(f"Command: `bench/scale_bench.py --sizes {args.sizes} --runs {args.runs}`; `-j 64`; the lab is not "
          f"seeded (the system keyspaces only), so this measures the fan-out, not the data.\n")
    header = "| verb | " + " | ".join(f"{size} nodes: median | peak memory" for size in sizes) + " |"
    print(header)
    print("| --- |" + " --- | --- |" * len(sizes))
    for name in [name for name, _ in VERBS] + ["parallel-ssh true"]:
        cells = []
        for size in sizes:
            values = results[size][name]
            cells.append(f"{statistics.median(v[0] for v in values):.2f} s | "
                         f"{max(v[1] for v in values):.1f} MiB")
        print(f"| {name} | " + " | ".join(cells) + " |")
    print()


if __name__ == "__main__":
    main()
