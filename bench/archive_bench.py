#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""`ringsnap archive` against plain `rclone copy` of the snapshot directories driven by
parallel-ssh (issue 12).

On a lab seeded with tables of SSTables on every node, the archive is a directory on the
machine (rclone's local backend: what an NFS mount looks like to rclone). The seeded replicas of
a row range hold byte-identical SSTables, which real replicas (flushing and compacting on their
own) do not: unless --shared-replicas, each node's name is appended to each of its files, so that
no content is shared between nodes and both tools copy every file. Two measures:

1. The first upload, wall time. Runs alternate; before each (untimed) ringsnap takes a new
   snapshot. ringsnap archives it into a fresh archive root (plan, intent, every node's upload,
   the confirming listing, the manifest). parallel-ssh runs on each node what an operator would:
   `find` the snapshot's files, then one `rclone copy --files-from --no-traverse` into a fresh
   directory per node. Both use rclone's default 4 transfers per node.
2. The second backup's bytes. After the first snapshot is archived, `lab seed` adds 10% more
   SSTables to every table, and `snapshot --archive` takes and archives the next snapshot.
   ringsnap's bytes sent (contents the archive lacks) are compared with the bytes `rclone copy`
   writes copying that snapshot's directories into a fresh place (no deduplication).

    bench/archive_bench.py --build build [--nodes 32] [--tables 20] [--sstables 10] [--size 64K] [--runs 3]
"""

import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from exec_bench import Lab, alternate, run, table, timed  # noqa: E402
from snapshot_bench import seed, seeded_lab_arguments  # noqa: E402

TRANSFERS = 4

# On each node (the lab's session HOME is <node>/home): the snapshot's files, copied with one
# rclone run into <store>/<node>. {tag} and {store} are filled in.
PSSH_COPY = ("set -e; node=$(dirname \"$HOME\"); list=$(mktemp); cd \"$node/data\"; "
             "find . -path '*/snapshots/{tag}/*' -type f | sed 's|^[.]/||' > \"$list\"; "
             "rclone copy --files-from \"$list\" --no-traverse --transfers " + str(TRANSFERS) +
             " . \"{store}/$(basename \"$node\")\"; rm -f \"$list\"")
# (rclone takes --files-from paths relative to the source: "./ks1/..." would match nothing.)


def archived_cluster_file(lab, remote):
    """The lab's cluster file with an archive: section naming `remote`."""
    path = Path(lab.dir) / f"cluster-{Path(remote).name}.yaml"
    path.write_text(Path(lab.cluster_file).read_text() + f"archive:\n  remote: \"{remote}\"\n")
    return str(path)


def make_replicas_differ(lab, done):
    """Appends its node's name to each table file not yet changed (a set of paths, updated)."""
    for path in Path(lab.dir, "nodes").glob("*/data/ks*/*/*"):  # the seeded keyspaces
        if path.is_file() and path not in done:
            with open(path, "ab") as file:
                file.write(f"\n{path.parts[-5]}".encode())
            done.add(path)


def apparent_bytes(directory):
    return sum(entry.stat().st_size for entry in Path(directory).rglob("*") if entry.is_file())


def first_uploads(lab, ringsnap, nodes, store, runs):
    counter = {"ringsnap": 0, "pssh": 0}

    def snapshot(tag):
        run([ringsnap, "-q", "-c", lab.cluster_file, "-j", str(nodes), "snapshot", "--tag", tag])

    def ringsnap_run():
        counter["ringsnap"] += 1
        tag = f"first-r{counter['ringsnap']}"
        snapshot(tag)
        cluster = archived_cluster_file(lab, f"{store}/ringsnap-r{counter['ringsnap']}")
        return timed([ringsnap, "-q", "-c", cluster, "-j", str(nodes), "archive", tag])

    def pssh_run():
        counter["pssh"] += 1
        tag = f"first-p{counter['pssh']}"
        snapshot(tag)
        command = PSSH_COPY.format(tag=tag, store=f"{store}/pssh-p{counter['pssh']}")
        return timed(lab.pssh_command(nodes, command, timeout=3600))

    return alternate([("ringsnap", ringsnap_run), ("parallel-ssh + rclone", pssh_run)], runs)


def second_backup(lab, ringsnap, nodes, store, args, differ):
    """Bytes ringsnap sends for a snapshot taken after 10% more SSTables, and plain rclone's."""
    cluster = archived_cluster_file(lab, f"{store}/ringsnap-r1")
    seed(lab, args.tables, max(1, args.sstables // 10), args.size)
    differ()
    report = json.loads(run([ringsnap, "-q", "--json", "-c", cluster, "-j", str(nodes), "snapshot", "--tag",
                             "second", "--archive"]).stdout)
    plain = f"{store}/pssh-second"
    run(lab.pssh_command(nodes, PSSH_COPY.format(tag="second", store=plain), timeout=3600))
    return report, apparent_bytes(plain)


def main():
    args, ringsnap = seeded_lab_arguments(__doc__.splitlines()[0], extra=[
        ("--shared-replicas", {"action": "store_true", "help": "keep the seeded replicas' identical files"})])
    if not any(os.access(Path(d) / "rclone", os.X_OK) for d in os.environ.get("PATH", "").split(":")):
        raise SystemExit("rclone is missing: apt-get install rclone")

    with Lab(2, args.nodes // 2) as lab:
        seed(lab, args.tables, args.sstables, args.size)
        changed = set()

        def differ():
            if not args.shared_replicas:
                make_replicas_differ(lab, changed)
        differ()
        store = str(Path(lab.dir) / "bench-store")
        times = first_uploads(lab, ringsnap, args.nodes, store, args.runs)
        first = json.loads(run([ringsnap, "-q", "--json", "-c", lab.cluster_file, "list"]).stdout)
        first_archive = json.loads(Path(lab.dir, "catalog", Path(lab.cluster_file).read_text().split("cluster: ")[1]
                                        .split()[0], "manifests", "first-r1.json").read_text())["archive"]
        report, plain_bytes = second_backup(lab, ringsnap, args.nodes, store, args, differ)

    archive = report["archive"]
    ratio = archive["bytes_sent"] / plain_bytes
    print(f"## Archive: ringsnap vs `rclone copy` with parallel-ssh ({args.nodes} lab nodes)\n")
    print(f"Command: `bench/archive_bench.py --nodes {args.nodes} --tables {args.tables} --sstables "
          f"{args.sstables} --size {args.size} --runs {args.runs}"
          f"{' --shared-replicas' if args.shared_replicas else ''}`; every node holds {args.tables} tables x "
          f"{args.sstables} SSTables (8 files each), "
          f"{'replicas sharing identical files' if args.shared_replicas else 'no file content shared between nodes'}"
          f"; the archive is a local directory (rclone's local backend), {TRANSFERS} transfers per node for both.\n")
    print(table("First upload of a snapshot (wall time)", times, "parallel-ssh + rclone", 1.1))
    backups = {backup["tag"]: backup for backup in first["backups"]}
    one = backups.get("first-r1", {})
    print(f"One snapshot: {one.get('files', '?')} files, {one.get('bytes', '?')} bytes recorded; ringsnap "
          f"sent {first_archive['blobs_sent']} distinct contents.\n")
    print("### Second snapshot after 10% more SSTables: bytes sent\n")
    print("| tool | bytes sent | files sent |\n| --- | --- | --- |")
    print(f"| ringsnap (`snapshot --archive`) | {archive['bytes_sent']} | {archive['blobs_sent']} of "
          f"{archive['blobs']} distinct contents |")
    print(f"| rclone copy of the snapshot directories | {plain_bytes} | every file |\n")
    verdict = "met" if ratio <= 0.15 else "NOT met"
    print(f"ringsnap / rclone copy: **{ratio:.3f}x** (target <= 0.15x: {verdict})\n")


if __name__ == "__main__":
    main()
