#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""`ringsnap restore --method sstableloader --target` against the same loader commands driven by
parallel-ssh: a source lab's snapshot streamed into a second, smaller lab (issue 11).

The source lab (2 data centers) is seeded with tables of SSTables and snapshotted once; the target
lab (8 nodes, 2 data centers) has the same tables. Before each run (untimed) every target table
is emptied with TRUNCATE, so both tools stream the whole snapshot into empty tables. Runs
alternate between ringsnap (survey of both clusters, plan, stage, SHA-256 of every staged file,
one sstableloader per table, restore record, clean) and one parallel-ssh command per run that, on
each source node, hard-links each table's snapshot into a staging directory and runs
`sstableloader -d <target nodes>` on it. Both run every source node at once.

    bench/loader_bench.py --build build [--nodes 32] [--target-nodes 8] [--tables 20] [--sstables 10] [--runs 3]
"""

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from exec_bench import Lab, alternate, table, timed  # noqa: E402
from snapshot_bench import seed, seeded_lab_arguments  # noqa: E402

TAG = "bench-base"


def pssh_script(targets):
    """What an operator would run by hand on each source node (the lab's session HOME is <node>/home)."""
    return ("set -e; node=$(dirname \"$HOME\"); stage=$node/pssh-restore; "
            "for t in \"$node\"/data/ks1/*/; do name=$(basename \"$t\"); name=${name%-*}; "
            "mkdir -p \"$stage/ks1/$name\"; ln \"$t\"snapshots/" + TAG + "/*-big-* \"$stage/ks1/$name/\"; "
            "sstableloader -d " + targets + " \"$stage/ks1/$name\" >/dev/null; done; rm -rf \"$stage\"")


def truncate_all(lab, tables):
    cqlsh = Path(lab.dir) / "nodes" / "dc1-n1" / "bin" / "cqlsh"
    statements = "".join(f"TRUNCATE ks1.t{i}; " for i in range(1, tables + 1))
    subprocess.run([str(cqlsh), "-e", statements], check=True, capture_output=True)


def main():
    sys.argv, target_nodes = strip_target_nodes(sys.argv)
    args, ringsnap = seeded_lab_arguments(__doc__.splitlines()[0])

    with Lab(2, args.nodes // 2) as source, Lab(2, target_nodes // 2) as target:
        seed(source, args.tables, args.sstables, args.size)
        seed(target, args.tables, 1, "4K")  # the same tables; emptied before each run
        timed([ringsnap, "-q", "-c", source.cluster_file, "snapshot", "-k", "ks1", "--tag", TAG])
        targets = target.env["RINGSNAP_LAB_NODES"]

        def ringsnap_run():
            truncate_all(target, args.tables)
            return timed([ringsnap, "-q", "-c", source.cluster_file, "-j", str(args.nodes), "restore", TAG,
                          "--method", "sstableloader", "--target", target.cluster_file, "--loaders-per-dc",
                          str(args.nodes // 2), "--yes"])

        def pssh_run():
            truncate_all(target, args.tables)
            return timed(source.pssh_command(args.nodes, pssh_script(targets), timeout=0))

        times = alternate([("ringsnap", ringsnap_run), ("parallel-ssh", pssh_run)], args.runs)

    print(f"## Restore with sstableloader: ringsnap vs the same loaders with parallel-ssh ({args.nodes} lab nodes "
          f"into {target_nodes})\n")
    print(f"Command: `bench/loader_bench.py --nodes {args.nodes} --target-nodes {target_nodes} --tables {args.tables} "
          f"--sstables {args.sstables} --size {args.size} --runs {args.runs}`; every source node streams "
          f"{args.tables} tables x {args.sstables} SSTables from its own snapshot into the target's emptied tables, "
          f"one sstableloader per table.\n")
    print(table("Whole cluster restore into another cluster (sstableloader)", times, "parallel-ssh", 1.2))


def strip_target_nodes(argv):
    """--target-nodes N is this benchmark's own option; the rest are the seeded-lab ones."""
    rest, target_nodes = [], 8
    it = iter(argv)
    for arg in it:
        if arg == "--target-nodes":
            target_nodes = int(next(it))
        else:
            rest.append(arg)
    return rest, target_nodes


if __name__ == "__main__":
    main()
