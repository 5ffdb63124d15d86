#!/usr/bin/env python3
"""Cassandra node simulator of the ringsnap lab (contract: ../README.md).

    sim.py create-node --lab DIR --name dc1-n1 --address 127.11.1.11 --dc dc1 --rack rack1 \\
                       --version {3.11,4.0,4.1,5.0 or a release: 4.0.12} [--num-tokens N]
                       [--initial-token T,T,...] [--data-dirs N] [--start-cost-ms MS]
    sim.py seed --lab DIR [--keyspaces 3] [--tables 20] [--sstables 10] [--size 1M]
    sim.py tool {nodetool,cqlsh,sstableloader,cassandra-start,cassandra-stop} NODE_HOME [args...]

The `tool` form is what a node's bin/ scripts run; nothing else should need it.
"""

import os
import sys
import time

if __package__ in (None, ""):
    # Run as a script: make the package importable without touching the caller's environment.
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "cassandra_sim"


def burn_start_cost() -> None:
    """A JVM start costs a real node a second or two of CPU per nodetool run; a lab made with a
    start-up cost (lab up --nodetool-cost MS) spends that much CPU first, so benchmarks feel it."""
    cost_ms = int(os.environ.get("RINGSNAP_SIM_START_COST_MS") or 0)
    deadline = time.process_time() + cost_ms / 1000
    while time.process_time() < deadline:
        pass


def run_tool(tool: str, home: str, argv) -> int:
    if tool == "nodetool":
        burn_start_cost()
        from cassandra_sim import nodetool
        return nodetool.main(home, argv)
    if tool == "cqlsh":
        from cassandra_sim import cqlsh
        return cqlsh.main(home, argv)
    if tool == "sstableloader":
        from cassandra_sim import loader
        return loader.main(home, argv)
    if tool == "cassandra-start":
        from cassandra_sim import lifecycle
        return lifecycle.main_start(home, argv)
    if tool == "cassandra-stop":
        from cassandra_sim import lifecycle
        return lifecycle.main_stop(home, argv)
    sys.stderr.write(f"sim.py: unknown tool {tool!r}\n")
    return 2


def main(argv) -> int:
    if len(argv) >= 3 and argv[0] == "tool":
        return run_tool(argv[1], argv[2], argv[3:])
    import argparse
    from cassandra_sim.versions import parse_version

    def version(text: str) -> str:
        try:
            parse_version(text)
        except ValueError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
        return text
    parser = argparse.ArgumentParser(prog="sim.py", description="Cassandra node simulator of the ringsnap lab")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-node", help="create and register a simulated node")
    create.add_argument("--lab", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--address", required=True)
    create.add_argument("--dc", required=True)
    create.add_argument("--rack", required=True)
    create.add_argument("--version", required=True, type=version,
                        help="a major line (3.11, 4.0, 4.1, 5.0: its default release) or a release (4.0.12)")
    create.add_argument("--num-tokens", type=int)
    create.add_argument("--initial-token", help="the node's tokens, comma-separated (cassandra.yaml initial_token)")
    create.add_argument("--data-dirs", type=int, default=1, help="number of data_file_directories (default 1)")
    create.add_argument("--start-cost-ms", type=int, default=0,
                        help="CPU milliseconds each nodetool run burns first, as a JVM start (default 0)")
    seed = commands.add_parser("seed", help="fill every node with data")
    seed.add_argument("--lab", required=True)
    seed.add_argument("--keyspaces", type=int, default=3)
    seed.add_argument("--tables", type=int, default=20)
    seed.add_argument("--sstables", type=int, default=10)
    seed.add_argument("--size", default="1M")
    args = parser.parse_args(argv)
    if args.command == "create-node":
        from cassandra_sim import create_node
        return create_node.create(args)
    from cassandra_sim import seed as seeding
    return seeding.seed(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
