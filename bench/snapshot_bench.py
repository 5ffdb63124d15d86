#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""`ringsnap snapshot` against the bare `nodetool snapshot` run with parallel-ssh (issue 4).

On a lab seeded with tables of SSTables on every node, runs alternate: the full ringsnap snapshot
(survey, nodetool snapshot, listing, manifest.json and schema.cql, hashing, manifest) and
`parallel-ssh -p N nodetool snapshot -t TAG` on the same nodes. Prints a Markdown table for
docs/benchmarks.md and ringsnap's per-step breakdown (median over nodes of the last run).

    bench/snapshot_bench.py --build build [--nodes 32] [--tables 20] [--sstables 10] [--runs 5]
                            [--nodetool-cost MS]

--nodetool-cost makes every simulated nodetool run burn that much CPU first, as a JVM start does
on a real node: the target is then 2.0x instead of 1.5x.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from exec_bench import LAB, ROOT, Lab, alternate, table, timed  # noqa: E402


def seed(lab, tables, sstables, size):
    subprocess.run([sys.executable, str(LAB), "seed", "--dir", lab.dir, "--keyspaces", "1", "--tables", str(tables),
                    "--sstables", str(sstables), "--size", size], check=True, capture_output=True)


def step_breakdown(report):
    """Median duration per step over the nodes of one `ringsnap -v --json snapshot` report."""
    durations = {}
    for node in report["nodes"]:
        for step in node.get("steps", []):
            durations.setdefault(step["step"], []).append(step.get("duration_ms", 0))
    lines = ["| ringsnap step (snapshot phase) | median per node | nodes |", "| --- | --- | --- |"]
    for name, values in durations.items():
        lines.append(f"| {name} | {statistics.median(values):.0f} ms | {len(values)} |")
    return "\n".join(lines) + "\n"


def seeded_lab_arguments(description, extra=()):
    """The options of a benchmark on a lab seeded with tables of SSTables (and `extra`: (name,
    argparse keywords) pairs), and the ringsnap binary."""
    parser = argparse.ArgumentParser(description=description)
    for name, keywords in extra:
        parser.add_argument(name, **keywords)
    parser.add_argument("--build", default=str(ROOT / "build"))
    parser.add_argument("--nodes", type=int, default=32)
    parser.add_argument("--tables", type=int, default=20)
    parser.add_argument("--sstables", type=int, default=10)
    parser.add_argument("--size", default="64K", help="SSTable size for `lab seed`")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    ringsnap = str(Path(args.build) / "src" / "ringsnap")
    if not os.access(ringsnap, os.X_OK):
        raise SystemExit(f"{ringsnap} is missing: build first")
    return args, ringsnap


def main():
    cost = ("--nodetool-cost", {"type": int, "default": 0, "metavar": "MS",
                                "help": "CPU ms each simulated nodetool run burns first, as a JVM start (lab up)"})
    args, ringsnap = seeded_lab_arguments(__doc__.splitlines()[0], [cost])

    with Lab(2, args.nodes // 2, ["--nodetool-cost", str(args.nodetool_cost)]) as lab:
        seed(lab, args.tables, args.sstables, args.size)
        counter = {"ringsnap": 0, "pssh": 0}

        def ringsnap_run():
            counter["ringsnap"] += 1
            return timed([ringsnap, "-q", "-c", lab.cluster_file, "-j", str(args.nodes), "snapshot", "--tag",
                          f"bench-r{counter['ringsnap']}"])

        def pssh_run():
            counter["pssh"] += 1
            return timed(lab.pssh_command(args.nodes, f"nodetool snapshot -t bench-p{counter['pssh']}"))

        times = alternate([("ringsnap", ringsnap_run), ("parallel-ssh", pssh_run)], args.runs)
        last = subprocess.run([ringsnap, "-q", "-v", "--json", "-c", lab.cluster_file, "snapshot", "--tag",
                               "bench-breakdown"], capture_output=True, text=True)
        report = json.loads(last.stdout)

    costly = args.nodetool_cost > 0
    print(f"## Snapshot: ringsnap vs bare `nodetool snapshot` with parallel-ssh ({args.nodes} lab nodes"
          f"{f', nodetool start {args.nodetool_cost} ms' if costly else ''})\n")
    print(f"Command: `bench/snapshot_bench.py --nodes {args.nodes} --tables {args.tables} --sstables "
          f"{args.sstables} --size {args.size} --runs {args.runs}"
          f"{f' --nodetool-cost {args.nodetool_cost}' if costly else ''}`; every node holds {args.tables} "
          f"tables x {args.sstables} SSTables (8 files each).\n")
    print(table("Whole cluster snapshot", times, "parallel-ssh", 2.0 if costly else 1.5))
    totals = report.get("totals", {})
    print(f"Last run: {totals.get('files')} files, {totals.get('bytes')} bytes recorded, "
          f"{totals.get('bytes_hashed')} bytes hashed (earlier manifests' hashes reused).\n")
    print(step_breakdown(report))


if __name__ == "__main__":
    main()
