"""cqlsh for a simulated node: `cqlsh [options] [host [port]]` with -e, -f or statements on
stdin, printing results the way cqlsh does when not on a terminal:

    <blank>
     id | v
    ----+-----
      1 | one
    <blank>
    (1 rows)

Errors go to stderr as `<source>:<line>:<Kind>: <message>`; any failed statement makes the exit
code 2, a connection failure 1 (like cqlsh).
"""

import argparse
import sys

from . import cql
from .cql_exec import Result, Session
from .layout import NodeHome
from .node_state import Node
from .ring import Ring

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def _parse_args(argv):
    parser = argparse.ArgumentParser(prog="cqlsh", add_help=True)
    parser.add_argument("host", nargs="?")
    parser.add_argument("port", nargs="?")
    parser.add_argument("-e", "--execute")
    parser.add_argument("-f", "--file")
    parser.add_argument("-k", "--keyspace")
    parser.add_argument("-u", "--username")
    parser.add_argument("-p", "--password")
    parser.add_argument("--request-timeout")
    parser.add_argument("--connect-timeout")
    parser.add_argument("--cqlversion")
    parser.add_argument("--protocol-version")
    parser.add_argument("-C", "--color", action="store_true")
    parser.add_argument("--no-color", action="store_true")
    parser.add_argument("--ssl", action="store_true")
    parser.add_argument("--debug", action="store_true")
    parser.add_argument("--version", action="store_true")
    return parser.parse_args(argv)


def _coordinator(home: NodeHome, host, port) -> str:
    """The node cqlsh connects to: this node for localhost, else the lab node at `host`."""
    node = Node(home)
    port = port or "9042"
    if host in (None, *LOCAL_HOSTS) or host == node.address:
        target = node
    else:
        entry = Ring.load(home.lab).node_by_address(host)
        target = Node(home.lab.node_home(entry["name"])) if entry else None
    address = host or "127.0.0.1"
    if target is None or not target.serving or port != "9042":
        raise ConnectionError(f"Connection error: ('Unable to connect to any servers', {{'{address}:{port}': "
                              f"ConnectionRefusedError(111, \"Tried connecting to [('{address}', {port})]. "
                              f"Last error: Connection refused\")}})")
    return target.name


def format_value(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, float):
        return repr(value) if value != int(value) else f"{value:.1f}"
    return str(value)


def format_result(result: Result) -> str:
    names = result.columns
    values = [[format_value(v) for v in row] for row in result.values]
    widths = [max([len(n)] + [len(r[i]) for r in values]) for i, n in enumerate(names)]
    lines = ["", " " + " | ".join(n.ljust(w) for n, w in zip(names, widths)).rstrip(),
             "-" + "-+-".join("-" * w for w in widths) + "-"]
    if not values:
        lines.append("")
    lines += [" " + " | ".join(v.rjust(w) for v, w in zip(row, widths)) for row in values]
    lines += ["", f"({len(values)} rows)"]
    return "\n".join(lines) + "\n"


def run_script(session: Session, text: str, source: str, out, err) -> bool:
    """Execute every statement; False when one failed (cqlsh goes on with the next)."""
    ok = True
    try:
        statements = cql.split_statements(text)
    except cql.CqlError as e:
        err.write(f"{source}:1:{e.kind}: {e.message}\n")
        return False
    for line, tokens in statements:
        try:
            result = session.execute(cql.parse(tokens))
            if isinstance(result, Result):
                out.write(format_result(result))
            elif isinstance(result, str):
                out.write(result + "\n")
        except cql.CqlError as e:
            err.write(f"{source}:{line}:{e.kind}: {e.message}\n")
            ok = False
    try:
        session.close()
    except cql.CqlError as e:
        err.write(f"{source}:1:{e.kind}: {e.message}\n")
        ok = False
    return ok


def main(home_root: str, argv, out=None, err=None, stdin=None) -> int:
    out, err, stdin = out or sys.stdout, err or sys.stderr, stdin or sys.stdin
    args = _parse_args(argv)
    if args.version:
        out.write("cqlsh 6.1.0\n")
        return 0
    home = NodeHome(home_root)
    try:
        coordinator = _coordinator(home, args.host, args.port)
    except ConnectionError as e:
        err.write(f"{e}\n")
        return 1
    session = Session(home.lab, coordinator, args.keyspace)
    if args.execute is not None:
        text, source = args.execute, "<stdin>"
    elif args.file is not None:
        try:
            with open(args.file) as f:
                text = f.read()
        except OSError as e:
            err.write(f"{args.file}: {e.strerror}\n")  # cqlsh: "Can't open ..." is close enough
            return 1
        source = args.file
    else:
        text, source = stdin.read(), "<stdin>"
    return 0 if run_script(session, text, source, out, err) else 2
