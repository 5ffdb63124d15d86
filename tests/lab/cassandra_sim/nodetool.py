"""nodetool for one simulated node: parsing, connecting, dispatching (cassandra-behaviour.md §2).

The commands themselves live in nodetool_cluster.py (what the ring looks like),
nodetool_gossip.py (gossipinfo) and nodetool_data.py (what is on disk). Each is a function (ctx, options, args) registered in
command_table() with the options its version declares.
"""

import os
import sys
import time

from . import airline
from .errors import BadUse, Exit, ServerError
from .layout import NodeHome
from .node_state import Node

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "0:0:0:0:0:0:0:1")
JMX_PORT = "7199"
HELP_LINE = "See 'nodetool help' or 'nodetool help <command>'."


class Context:
    """What a command runs with: the node, its view of the cluster, and the output streams."""

    def __init__(self, node: Node, parsed, out, err):
        self.node = node
        self.version = node.version
        self.globals = parsed.globals
        self.command = parsed.command.name
        self.out = out
        self.err = err
        self._ring = None
        self._schema = None
        self._peer_states = {}

    @property
    def ring(self):
        if self._ring is None:
            from .ring import Ring
            self._ring = Ring.load(self.node.home.lab)
        return self._ring

    @property
    def schema(self):
        if self._schema is None:
            from .schema import NodeSchema
            self._schema = NodeSchema(self.version, self.ring.schema)
        return self._schema

    @property
    def print_port(self) -> bool:
        return bool(self.globals.get("printPort"))

    def println(self, text: str = "") -> None:
        self.out.write(text + "\n")

    def peer_state(self, name: str) -> dict:
        """A node's node.json (its own, or a peer's as gossip would report it)."""
        if name == self.node.name:
            return self.node.state
        if name not in self._peer_states:
            from .layout import read_json
            self._peer_states[name] = read_json(self.node.home.lab.node_home(name).node_json, {})
        return self._peer_states[name]

    def peer_is_up(self, name: str) -> bool:
        if name == self.node.name:
            return True
        state = self.peer_state(name)
        return bool(state.get("running")) and not state.get("drained")


def global_options(version) -> list:
    options = [
        airline.Option(("-h", "--host"), "host"),
        airline.Option(("-p", "--port"), "port"),
        airline.Option(("-u", "--username"), "username"),
        airline.Option(("-pw", "--password"), "password"),
        airline.Option(("-pwf", "--password-file"), "passwordFilePath"),
    ]
    if version.at_least("4.0"):
        options.append(airline.Option(("-pp", "--print-port"), "printPort", arity=0))
    return options


class _Lazy:
    """Names a command function without importing its module (each nodetool call runs one
    command, and importing all of them would cost more start-up time than the command)."""

    def __init__(self, module: str):
        self.module = module

    def __getattr__(self, function: str):
        def call(ctx, options, args):
            import importlib
            return getattr(importlib.import_module(f"cassandra_sim.{self.module}"), function)(ctx, options, args)
        return call


def command_table(version) -> dict:
    cluster = _Lazy("nodetool_cluster")
    data = _Lazy("nodetool_data")
    gossip = _Lazy("nodetool_gossip")
    O = airline.Option
    commands = [
        airline.Command("help", print_help, arguments="command"),
        airline.Command("version", cluster.version,
                        [O(("-v", "--verbose"), "verbose", 0)] if version.at_least("5.0") else []),
        airline.Command("status", cluster.status, [O(("-r", "--resolve-ip"), "resolve_ip", 0)],
                        arguments="keyspace", multi_args=False),
        airline.Command("info", cluster.info, [O(("-T", "--tokens"), "tokens", 0)] +
                        ([O(("-O", "--out-of-range-ops"), "outOfRangeOps", 0)] if version.at_least("5.0") else [])),
        airline.Command("describecluster", cluster.describecluster),
        airline.Command("ring", cluster.ring, [O(("-r", "--resolve-ip"), "resolve_ip", 0)],
                        arguments="keyspace", multi_args=False),
        airline.Command("gossipinfo", gossip.gossipinfo,
                        [O(("-r", "--resolve-ip"), "resolve_ip", 0)] if version.at_least("4.1") else []),
        airline.Command("getendpoints", cluster.getendpoints, arguments="ksname, cfname, key"),
        airline.Command("statusbinary", cluster.statusbinary),
        airline.Command("statusgossip", cluster.statusgossip),
        airline.Command("flush", data.flush, arguments="args"),
        airline.Command("snapshot", data.snapshot, [
            O(("-cf", "--column-family", "--table"), "table"),
            O(("-t", "--tag"), "tag"),
            O(("-kt", "--kt-list", "-kc", "--kc.list"), "ktlist"),
            O(("-sf", "--skip-flush"), "skip-flush", 0),
        ] + ([O(("--ttl",), "ttl")] if version.has_snapshot_ttl else []), arguments="keyspaces"),
        airline.Command("listsnapshots", data.listsnapshots,
                        ([O(("-nt", "--no-ttl"), "no_ttl", 0)] if version.at_least("4.1") else []) +
                        ([O(("-e", "--ephemeral"), "ephemeral", 0)] if version.at_least("5.0") else [])),
        airline.Command("clearsnapshot", data.clearsnapshot, [O(("-t",), "snapshot_name")] +
                        ([O(("--all",), "clear_all_snapshots", 0)] if version.at_least("4.0") else []) +
                        ([O(("--older-than",), "older_than"), O(("--older-than-timestamp",), "older_than_timestamp")]
                         if version.at_least("5.0") else []), arguments="keyspaces"),
        airline.Command("enablebackup", data.enablebackup),
        airline.Command("disablebackup", data.disablebackup),
        airline.Command("statusbackup", data.statusbackup),
        airline.Command("refresh", data.refresh, arguments="args"),
        airline.Command("drain", data.drain),
    ]
    if version.has_import:
        commands.append(airline.Command("import", data.import_sstables, [
            O(("-l", "--keep-level"), "keep_level", 0),
            O(("-r", "--keep-repaired"), "keep_repaired", 0),
            O(("-v", "--no-verify"), "no_verify_sstables", 0),
            O(("-t", "--no-tokens"), "no_verify_tokens", 0),
            O(("-c", "--no-invalidate-caches"), "no_invalidate_caches", 0),
            O(("-q", "--quick"), "quick", 0),
            O(("-e", "--extended-verify"), "extended_verify", 0),
            O(("-p", "--copy-data"), "copy_data", 0),
        ] + ([O(("-ri", "--require-index-components"), "require_index_components", 0),
              O(("-niv", "--no-index-validation"), "no_index_validation", 0)] if version.at_least("5.0") else []),
            arguments="args"))
    if version.has_datapaths:
        commands.append(airline.Command("datapaths", cluster.datapaths, [O(("-F", "--format"), "format")],
                                        arguments="tableNames"))
    return {c.name: c for c in commands}


def print_help(ctx, options, args) -> None:
    """CassHelp. Not the real airline usage text, but the same shape."""
    names = sorted(command_table(ctx.version))
    ctx.println("usage: nodetool [(-u <username> | --username <username>)]")
    ctx.println("        [(-h <host> | --host <host>)] [(-p <port> | --port <port>)]")
    ctx.println("        [(-pw <password> | --password <password>)]")
    ctx.println("        [(-pwf <passwordFilePath> | --password-file <passwordFilePath>)] <command> [<args>]")
    ctx.println()
    ctx.println("The most commonly used nodetool commands are:")
    for name in names:
        ctx.println(f"    {name}")
    ctx.println()
    ctx.println("See 'nodetool help <command>' for more information on a specific command.")
    ctx.println()


# --- connecting -----------------------------------------------------------------------------------

def connect(ctx: Context) -> None:
    """NodeToolCmd.connect: the JMX connection, with its failure messages
    (cassandra-behaviour.md §2.2)."""
    host = ctx.globals.get("host", "127.0.0.1")
    port = ctx.globals.get("port", JMX_PORT)
    if not port.lstrip("-").isdigit():
        raise BadUse(f'For input string: "{port}"')  # Integer.parseInt -> NumberFormatException
    node = ctx.node
    reachable = host in LOCAL_HOSTS or host == node.address
    if not reachable and not _looks_like_address(host):
        _connect_failure(host, port, "UnknownHostException", f"{host}: Name or service not known")
    if not reachable or int(port) != int(JMX_PORT) or not node.running:
        _connect_failure(host, port, "ConnectException", node.version.jdk_connection_refused)
    _authenticate(ctx, host, port)


def _looks_like_address(host: str) -> bool:
    return all(part.isdigit() for part in host.split(".")) or ":" in host


def _connect_failure(host, port, cause: str, message: str):
    raise Exit(1, stderr=f"nodetool: Failed to connect to '{host}:{port}' - {cause}: '{message}'.\n")


def _authenticate(ctx: Context, host: str, port: str) -> None:
    """JMX authentication, modelled when conf/jmxremote.password exists (`<user> <password>`
    lines, the JMX password-file format nodetool -pwf reads too)."""
    username = ctx.globals.get("username", "")
    password = ctx.globals.get("password", "")
    if username and ctx.globals.get("passwordFilePath"):
        password = _password_from_file(ctx.globals["passwordFilePath"], username)
    accounts = _read_password_file(ctx.node.home.jmx_password_file)
    if accounts is None:
        return  # no JMX authentication: credentials are ignored
    if not username:
        _connect_failure(host, port, "SecurityException", "Authentication failed! Credentials required")
    if accounts.get(username) != password:
        _connect_failure(host, port, "SecurityException", "Authentication failed! Invalid username or password")


def _read_password_file(path: str):
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return None
    accounts = {}
    for line in lines:
        parts = line.split()
        if len(parts) >= 2 and not parts[0].startswith("#"):
            accounts[parts[0]] = parts[1]
    return accounts


def _password_from_file(path: str, username: str) -> str:
    """NodeToolCmd.readUserPasswordFromFile: the word after the first `username` word."""
    try:
        with open(path) as f:
            words = f.read().split()
    except FileNotFoundError:
        raise ServerError(f"{path} (No such file or directory)", "java.io.FileNotFoundException") from None
    for i, word in enumerate(words[:-1]):
        if word == username:
            return words[i + 1]
    return ""


# --- history ------------------------------------------------------------------------------------

def record_history(argv) -> None:
    """~/.cassandra/nodetool.history, with the -pw value hidden (cassandra-behaviour.md §2.1)."""
    if not argv:
        return
    line = _hide_password(argv)
    millis = time.time_ns() // 1_000_000
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(millis // 1000)) + ",%03d" % (millis % 1000)
    try:
        directory = os.path.join(os.path.expanduser("~"), ".cassandra")
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, "nodetool.history"), "a") as f:
            f.write(f"{stamp}: {line}\n")
    except OSError:
        pass  # like nodetool: quietly ignore


def _hide_password(argv) -> str:
    """NodeTool.printHistory: replaceFirst("(?<=(-pw|--password))\\s+\\S+", " <hidden>") on the
    space-joined arguments (so only the first password is hidden)."""
    words = list(argv)
    for i, word in enumerate(words[:-1]):
        if word.endswith("-pw") or word.endswith("--password"):
            words[i + 1] = "<hidden>"
            break
    return " ".join(words)


# --- entry point --------------------------------------------------------------------------------

def main(home_root: str, argv, out=None, err=None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    node = Node(NodeHome(home_root))
    try:
        parsed = airline.parse(global_options(node.version), command_table(node.version), "help", argv)
    except airline.ParseError as e:
        out.write(f"nodetool: {e}\n{HELP_LINE}\n")
        return 1
    record_history(argv)
    ctx = Context(node, parsed, out, err)
    try:
        if parsed.command.name == "help":
            print_help(ctx, parsed.options, parsed.args)
            return 0
        connect(ctx)
        with node.lock():
            node.state = Node(node.home).state  # re-read under the lock
            if node.version.has_snapshot_ttl and os.path.exists(node.home.ttl_snapshots):
                from .snapshots import remove_expired
                remove_expired(node)
            parsed.command.handler(ctx, parsed.options, parsed.args)
        return 0
    except BadUse as e:
        out.write(f"nodetool: {e.message}\n{HELP_LINE}\n")
        return 1
    except ServerError as e:
        err.write(e.stderr_text())
        return 2
    except Exit as e:
        out.write(e.stdout)
        err.write(e.stderr)
        return e.code
