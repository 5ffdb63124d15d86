#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""`ringsnap restore` (import from the nodes' own snapshots) against the same work driven by
parallel-ssh: a hard-link staging command, then `nodetool import` per table (issue 9).

On a lab seeded with tables of SSTables on every node, ringsnap takes one snapshot. Before each
run (untimed) every table is emptied with TRUNCATE, so both tools load the whole snapshot into
empty tables. Runs alternate between ringsnap (survey, plan, stage, SHA-256 of every staged file,
import, check, clean, restore record) and one parallel-ssh command per run that, on each node,
hard-links each table's snapshot into a staging directory and runs `nodetool import` per table.
Prints a Markdown table for docs/benchmarks.md, and the nodetool invocations per node.

    bench/restore_bench.py --build build [--nodes 32] [--tables 20] [--sstables 10] [--runs 5]
"""

import json
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from exec_bench import Lab, alternate, table, timed  # noqa: E402
from snapshot_bench import seed, seeded_lab_arguments, step_breakdown  # noqa: E402

TAG = "bench-base"

# What an operator would run by hand on each node (the lab's session HOME is <node>/home).
PSSH_SCRIPT = (
    "set -e; node=$(dirname \"$HOME\"); stage=$node/pssh-restore; "
    "for t in \"$node\"/data/ks1/*/; do name=$(basename \"$t\"); name=${name%-*}; "
    "mkdir -p \"$stage/ks1/$name\"; ln \"$t\"snapshots/" + TAG + "/*-big-* \"$stage/ks1/$name/\"; "
    "nodetool import -- ks1 \"$name\" \"$stage/ks1/$name\"; done; rm -rf \"$stage\"")


def truncate_all(lab, tables):
    cqlsh = Path(lab.dir) / "nodes" / "dc1-n1" / "bin" / "cqlsh"
    statements = "".join(f"TRUNCATE ks1.t{i}; " for i in range(1, tables + 1))
    subprocess.run([str(cqlsh), "-e", statements], check=True, capture_output=True)


def nodetool_counts(report):
    """Per node of a `ringsnap -v --json` report, how many nodetool processes its commands started."""
    counts = []
    for node in report["nodes"]:
        commands = " ".join(step.get("command", "") for step in node.get("steps", []))
        counts.append(len(re.findall(r"/nodetool'? ", commands)))
    return counts


def main():
    args, ringsnap = seeded_lab_arguments(__doc__.splitlines()[0])

    with Lab(2, args.nodes // 2) as lab:
        seed(lab, args.tables, args.sstables, args.size)
        timed([ringsnap, "-q", "-c", lab.cluster_file, "snapshot", "-k", "ks1", "--tag", TAG])

        def ringsnap_run():
            truncate_all(lab, args.tables)
            return timed([ringsnap, "-q", "-c", lab.cluster_file, "-j", str(args.nodes), "restore", TAG, "--yes"])

        def pssh_run():
            truncate_all(lab, args.tables)
            return timed(lab.pssh_command(args.nodes, PSSH_SCRIPT))

        times = alternate([("ringsnap", ringsnap_run), ("parallel-ssh", pssh_run)], args.runs)
        truncate_all(lab, args.tables)
        last = subprocess.run([ringsnap, "-q", "-v", "--json", "-c", lab.cluster_file, "-j", str(args.nodes),
                               "restore", TAG, "--yes"], capture_output=True, text=True)
        report = json.loads(last.stdout)

    print(f"## Restore: ringsnap vs staging + `nodetool import` with parallel-ssh ({args.nodes} lab nodes)\n")
    print(f"Command: `bench/restore_bench.py --nodes {args.nodes} --tables {args.tables} --sstables "
          f"{args.sstables} --size {args.size} --runs {args.runs}`; every node restores {args.tables} tables x "
          f"{args.sstables} SSTables (8 files each) from its own snapshot, into tables emptied before each run.\n")
    print(table("Whole cluster restore (import)", times, "parallel-ssh", 1.2))
    print(step_breakdown(report).replace("(snapshot phase)", "(every phase)"))
    counts = nodetool_counts(report)
    print(f"nodetool invocations per node, counted in the commands of the last run: ringsnap {min(counts)} to "
          f"{max(counts)} (info -T, gossipinfo on the first node of each data center, one import per table), "
          f"parallel-ssh {args.tables} (one import per table).\n")


if __name__ == "__main__":
    main()
