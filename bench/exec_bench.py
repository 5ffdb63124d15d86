#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""ringsnap's executor against Debian's parallel-ssh, side by side, on one lab.

Three measurements (issue 2), each printed as a Markdown table for docs/benchmarks.md:
1. one trivial command on every node: `ringsnap exec true` vs `parallel-ssh -p N true`;
2. five commands per node, as an operation needs: ringsnap (one session per node) vs five
   rounds of parallel-ssh;
3. peak memory of `ringsnap exec true` over a large lab (128 nodes by default).
Runs alternate (ringsnap, pssh, ringsnap, ...) so that machine noise hits both alike; the ratio
is taken between medians. Needs: parallel-ssh (Debian package pssh), a built ringsnap.

    bench/exec_bench.py --build build [--nodes 32] [--runs 7] [--memory-nodes 128]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAB = ROOT / "tests" / "lab" / "lab"
STEP_COMMAND = "nodetool version"


def run(args, **kwargs):
    return subprocess.run(args, check=True, text=True, capture_output=True, **kwargs)


class Lab:
    """A lab for the length of a `with` block."""

    def __init__(self, dcs, nodes_per_dc, up_options=()):
        self.dir = tempfile.mkdtemp(prefix="ringsnap-bench-")
        run([sys.executable, str(LAB), "up", "--dcs", str(dcs), "--nodes", str(nodes_per_dc),
             "--dir", self.dir, *up_options])
        self.env = json.loads(run([sys.executable, str(LAB), "env", "--json", "--dir", self.dir]).stdout)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        subprocess.run([sys.executable, str(LAB), "down", "--dir", self.dir], capture_output=True)

    @property
    def cluster_file(self):
        return self.env["RINGSNAP_CLUSTER"]

    def hosts_file(self):
        path = Path(self.dir) / "pssh-hosts"
        port = self.env["RINGSNAP_LAB_PORT"]
        user = self.env["RINGSNAP_LAB_USER"]
        path.write_text("".join(f"{user}@{address}:{port}\n"
                                for address in self.env["RINGSNAP_LAB_NODES"].split(",")))
        return str(path)

    def pssh_command(self, parallel, command, timeout=60):
        ssh_options = (f"-i {self.env['RINGSNAP_LAB_KEY']} -o BatchMode=yes "
                       f"-o StrictHostKeyChecking=yes -o UserKnownHostsFile={self.env['RINGSNAP_LAB_KNOWN_HOSTS']}")
        return ["parallel-ssh", "-p", str(parallel), "-t", str(timeout), "-h", self.hosts_file(),
                "-x", ssh_options, command]


def timed(args, env=None):
    start = time.perf_counter()
    result = subprocess.run(args, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"benchmark command failed ({result.returncode}): {' '.join(args)}\n"
                         f"{result.stdout}\n{result.stderr}")
    return elapsed


def alternate(candidates, runs):
    """Runs each (name, function) in turn, `runs` times; returns name -> list of seconds."""
    times = {name: [] for name, _ in candidates}
    for _ in range(runs):
        for name, function in candidates:
            times[name].append(function())
    return times


def table(title, times, baseline, target):
    ours, theirs = statistics.median(times["ringsnap"]), statistics.median(times[baseline])
    ratio = ours / theirs
    lines = [f"### {title}", "",
             "| tool | median | min | max | runs |", "| --- | --- | --- | --- | --- |"]
    for name, values in times.items():
        lines.append(f"| {name} | {statistics.median(values):.3f} s | {min(values):.3f} s | "
                     f"{max(values):.3f} s | {len(values)} |")
    verdict = "met" if ratio <= target else "NOT met"
    lines += ["", f"ringsnap / {baseline}: **{ratio:.2f}x** (target <= {target}x: {verdict})", ""]
    return "\n".join(lines)


def trivial_command(lab, ringsnap, parallel, runs):
    candidates = [
        ("ringsnap", lambda: timed([ringsnap, "-q", "-c", lab.cluster_file, "-j", str(parallel),
                                    "exec", "true"])),
        ("parallel-ssh", lambda: timed(lab.pssh_command(parallel, "true"))),
    ]
    return table("One trivial command (`true`) on every node", alternate(candidates, runs),
                 "parallel-ssh", 0.5)


def five_steps(lab, steps_bench, parallel, runs):
    def pssh_rounds():
        return sum(timed(lab.pssh_command(parallel, STEP_COMMAND)) for _ in range(5))

    candidates = [
        ("ringsnap", lambda: timed([steps_bench, lab.cluster_file, "5", str(parallel), STEP_COMMAND])),
        ("parallel-ssh x5", pssh_rounds),
    ]
    return table(f"Five commands per node (`{STEP_COMMAND}` x5; ringsnap: one session per node)",
                 alternate(candidates, runs), "parallel-ssh x5", 0.3)


def peak_memory(ringsnap, nodes):
    dcs = 2
    with Lab(dcs, nodes // dcs) as lab:
        child = subprocess.Popen([ringsnap, "-q", "-c", lab.cluster_file, "-j", "128", "exec", "true"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(child.pid, 0)  # this child's own peak, not the lab's
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            raise SystemExit(f"ringsnap exec failed on {nodes} nodes:\n{child.stderr.read().decode()}")
    mib = usage.ru_maxrss / 1024
    verdict = "met" if mib <= 64 else "NOT met"
    return (f"### Peak memory\n\n`ringsnap -j 128 exec true` on {nodes} nodes: peak RSS "
            f"**{mib:.1f} MiB** (target <= 64 MiB: {verdict})\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=str(ROOT / "build"), help="CMake build directory")
    parser.add_argument("--nodes", type=int, default=32, help="lab nodes for the timing runs")
    parser.add_argument("--runs", type=int, default=7, help="runs per tool")
    parser.add_argument("--memory-nodes", type=int, default=128, help="lab nodes for the memory run")
    args = parser.parse_args()

    ringsnap = str(Path(args.build) / "src" / "ringsnap")
    steps_bench = str(Path(args.build) / "bench" / "ringsnap_steps_bench")
    if not shutil.which("parallel-ssh"):
        raise SystemExit("parallel-ssh is missing: apt-get install pssh")
    for binary in (ringsnap, steps_bench):
        if not os.access(binary, os.X_OK):
            raise SystemExit(f"{binary} is missing: build first (scripts/test.sh or cmake --build)")

    print(f"## Executor: ringsnap vs parallel-ssh ({args.nodes} lab nodes, {os.cpu_count()} cores)\n")
    print(f"Command: `bench/exec_bench.py --nodes {args.nodes} --runs {args.runs} "
          f"--memory-nodes {args.memory_nodes}`\n")
    with Lab(2, args.nodes // 2) as lab:
        timed([ringsnap, "-q", "-c", lab.cluster_file, "exec", "true"])  # warm caches once
        print(trivial_command(lab, ringsnap, args.nodes, args.runs))
        print(five_steps(lab, steps_bench, args.nodes, args.runs))
    print(peak_memory(ringsnap, args.memory_nodes))


if __name__ == "__main__":
    main()
