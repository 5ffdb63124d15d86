# SPDX-License-Identifier: Apache-2.0
"""Command line of tests/lab/lab: parse, then call one function of commands.py."""

import argparse
import sys

from . import LabError, archive_store, commands
from .layout import SUPPORTED_VERSIONS, is_supported_version

DESCRIPTION = """\
The ringsnap lab: a multi-data-center stand-in Cassandra cluster whose nodes are real OpenSSH
sshd servers on loopback addresses, with a Cassandra node simulator behind each (README.md).
Commands other than `up` act on --dir, else $RINGSNAP_LAB_DIR, else the only running lab."""

NODE_COMMANDS = {
    "stop-node": (commands.stop_node, "stop Cassandra on NODE (its host stays up)"),
    "start-node": (commands.start_node, "start Cassandra on NODE"),
    "kill-host": (commands.kill_host, "crash NODE's host: SIGKILL its sshd and sessions"),
    "revive-host": (commands.revive_host,
                    "restart NODE's sshd (same address and key), then Cassandra"),
    "freeze-host": (commands.freeze_host, "hang NODE's host: SIGSTOP its sshd and sessions"),
    "thaw-host": (commands.thaw_host, "resume a frozen host: SIGCONT"),
}


def _version(text: str) -> str:
    if not is_supported_version(text):
        raise argparse.ArgumentTypeError(
            f"unknown Cassandra version {text!r}; choose a line from {', '.join(SUPPORTED_VERSIONS)} "
            f"or a release of one (e.g. 4.0.12)")
    return text


def _versions(text: str) -> list[str]:
    return [v.strip() for v in text.split(",") if v.strip()]


def _add_up(subparsers, lab_dir: argparse.ArgumentParser) -> None:
    up = subparsers.add_parser("up", parents=[lab_dir], help="start a new lab",
                               description="Start a new lab; print its directory on stdout.")
    up.add_argument("--dcs", type=int, default=1, help="data centers (default 1)")
    up.add_argument("--nodes", type=int, default=3, help="nodes per data center (default 3)")
    versions = up.add_mutually_exclusive_group()
    versions.add_argument("--version", type=_version, default="4.1",
                          help="Cassandra version of every node: a line (3.11, 4.0, 4.1, 5.0) or a "
                               "release such as 4.0.12 (default 4.1)")
    versions.add_argument("--versions", type=_versions, metavar="V1,V2,...",
                          help="versions (lines or releases) dealt round-robin over dc1-n1, dc1-n2, "
                               "..., dc2-n1, ...")
    up.add_argument("--racks", type=int, default=3, help="racks per data center (default 3)")
    up.add_argument("--num-tokens", type=int, help="tokens per node (simulator default otherwise)")
    up.add_argument("--nodetool-cost", type=int, default=0, metavar="MS",
                    help="CPU milliseconds each nodetool run burns first, as a JVM start does on a "
                         "real node (default 0)")
    up.add_argument("--tokens-from", metavar="LAB_DIR",
                    help="give each node the tokens of the node of that name in another lab "
                         "(initial_token), as a cluster built to restore that one node for node")
    up.add_argument("--port", type=int,
                    help="sshd port (default: 22 as root, 22000 + lab index otherwise)")


def _add_node_commands(subparsers, lab_dir: argparse.ArgumentParser) -> None:
    for name, (_, help_text) in NODE_COMMANDS.items():
        command = subparsers.add_parser(name, parents=[lab_dir], help=help_text,
                                        description=help_text)
        command.add_argument("node", metavar="NODE", help="node name (dc1-n2) or address")


def _add_archive(subparsers, lab_dir: argparse.ArgumentParser) -> None:
    archive = subparsers.add_parser(
        "archive", help="storage for ringsnap's archive: a directory, s3rver or an sftp server",
        description="Archive stores of a lab, in DIR/archive/NAME/ (rclone.conf with one remote "
                    "`labstore`, info.json). --name defaults to the kind for `up`, to the "
                    "only store otherwise; `down` without --name stops every store.")
    actions = archive.add_subparsers(dest="archive_command", required=True, metavar="ACTION")
    up = actions.add_parser("up", parents=[lab_dir], help="start a store (or restart one)")
    up.add_argument("--kind", required=True, choices=archive_store.KINDS)
    up.add_argument("--name", help="store name (default: the kind)")
    down = actions.add_parser("down", parents=[lab_dir], help="stop a store's server")
    down.add_argument("--name")
    down.add_argument("--remove", action="store_true", help="also remove the store's files")
    info = actions.add_parser("info", parents=[lab_dir],
                              help="info.json as RINGSNAP_ARCHIVE_* lines for a shell")
    info.add_argument("--name")
    info.add_argument("--json", action="store_true", help="info.json itself")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lab", description=DESCRIPTION)
    lab_dir = argparse.ArgumentParser(add_help=False)
    lab_dir.add_argument("--dir", help="lab directory")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    _add_up(subparsers, lab_dir)
    down = subparsers.add_parser("down", parents=[lab_dir], help="stop a lab and remove it")
    down.add_argument("--all", action="store_true", help="every lab this user may stop")
    down.add_argument("--keep", action="store_true", help="keep the lab directory")
    status = subparsers.add_parser("status", parents=[lab_dir], help="table of the nodes")
    status.add_argument("--json", action="store_true")
    _add_node_commands(subparsers, lab_dir)
    env = subparsers.add_parser("env", parents=[lab_dir], help="KEY=value lines for a shell")
    env.add_argument("--json", action="store_true")
    seed = subparsers.add_parser(
        "seed", parents=[lab_dir], help="create keyspaces, tables and SSTables (simulator)",
        description="Forwarded to `sim.py seed`, with any further options.")
    seed.add_argument("--keyspaces")
    seed.add_argument("--tables")
    seed.add_argument("--sstables")
    seed.add_argument("--size", help="e.g. 1M")
    _add_archive(subparsers, lab_dir)
    ssh = subparsers.add_parser("ssh", parents=[lab_dir], help="run a command on NODE over ssh")
    ssh.add_argument("node", metavar="NODE")
    ssh.add_argument("remote", nargs=argparse.REMAINDER, metavar="CMD")
    return parser


def _seed_options(args: argparse.Namespace, extra: list[str]) -> list[str]:
    options = []
    for name in ("keyspaces", "tables", "sstables", "size"):
        value = getattr(args, name)
        if value is not None:
            options += [f"--{name}", value]
    return options + [e for e in extra if e != "--"]


def _dispatch_archive(args: argparse.Namespace) -> None:
    lab_dir = commands.resolve_lab_dir(args.dir)
    if args.archive_command == "up":
        commands.archive_up(lab_dir, args.kind, args.name)
    elif args.archive_command == "down":
        commands.archive_down(lab_dir, args.name, args.remove)
    else:
        commands.archive_info(lab_dir, args.name, args.json)


def dispatch(args: argparse.Namespace, extra: list[str]) -> None:
    if args.command == "up":
        lab = commands.up(args.dcs, args.nodes, args.versions or [args.version], args.racks,
                          args.dir, args.port, args.num_tokens, args.tokens_from, args.nodetool_cost)
        print(lab.dir)
    elif args.command == "down" and args.all:
        commands.down_all(args.keep)
    elif args.command == "down":
        commands.down(commands.resolve_lab_dir(args.dir), args.keep)
    elif args.command == "status":
        commands.status(commands.resolve_lab_dir(args.dir), args.json)
    elif args.command in NODE_COMMANDS:
        NODE_COMMANDS[args.command][0](commands.resolve_lab_dir(args.dir), args.node)
    elif args.command == "env":
        commands.env(commands.resolve_lab_dir(args.dir), args.json)
    elif args.command == "seed":
        commands.seed(commands.resolve_lab_dir(args.dir), _seed_options(args, extra))
    elif args.command == "archive":
        _dispatch_archive(args)
    elif args.command == "ssh":
        commands.ssh(commands.resolve_lab_dir(args.dir), args.node, args.remote)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "seed":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        dispatch(args, extra)
    except (LabError, OSError) as error:
        print(f"lab: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0
