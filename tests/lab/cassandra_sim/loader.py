"""sstableloader: stream the sstables of a directory into a cluster (cassandra-behaviour.md §14).

The keyspace is the name of the directory's parent (or -k), the table the directory's own name
without a `-<id>` suffix (or -tb on 5.0). The cluster is the one of the -d host the driver
reaches first: any lab on this machine (clusters.py), not only the loader's own. The driver
tries the -d hosts in random order (Java driver 3.x shuffles its contact points, JAVA-618) and
takes the ring and schema of the first that answers, so -d naming nodes of two clusters loads
into either one. Every row goes to the replicas of that cluster owning its token, where it
becomes a new sstable in the receiver's own format under the receiver's next id, and is
hard-linked into backups/ when incremental backups are on (streamed sstables go through
addSSTables). Replicas that are down, or that refuse the loader's messaging version (a receiver
accepts streams at its own version only), make the load fail after the others got their data.
With `authenticator: PasswordAuthenticator` on the node reached, -u/-pw must be one of its roles.
"""

import os
import random
import sys
import time

from . import clusters, cql_connect, formatting, placement, rows, sstable, storage
from .layout import NodeHome
from .node_state import Node
from .schema import Table

# (short, long, takes a value, first version)
_OPTIONS = [
    ("v", "verbose", False, "3.11"), ("h", "help", False, "3.11"), (None, "no-progress", False, "3.11"),
    ("i", "ignore", True, "3.11"), ("d", "nodes", True, "3.11"), ("p", "port", True, "3.11"),
    ("sp", "storage-port", True, "3.11"), ("ssp", "ssl-storage-port", True, "3.11"), ("t", "throttle", True, "3.11"),
    ("idct", "inter-dc-throttle", True, "3.11"), ("u", "username", True, "3.11"), ("pw", "password", True, "3.11"),
    ("ap", "auth-provider", True, "3.11"), ("cph", "connections-per-host", True, "3.11"),
    ("f", "conf-path", True, "3.11"), ("ts", "truststore", True, "3.11"), ("tspw", "truststore-password", True, "3.11"),
    ("ks", "keystore", True, "3.11"), ("kspw", "keystore-password", True, "3.11"), ("prtcl", "ssl-protocol", True, "3.11"),
    ("alg", "ssl-alg", True, "3.11"), ("st", "store-type", True, "3.11"), ("ciphers", "ssl-ciphers", True, "3.11"),
    ("k", "target-keyspace", True, "4.0"), (None, "throttle-mib", True, "4.1"),
    (None, "inter-dc-throttle-mib", True, "4.1"), (None, "entire-sstable-throttle-mib", True, "4.1"),
    (None, "entire-sstable-inter-dc-throttle-mib", True, "4.1"), ("tb", "target-table", True, "5.0"),
]

USAGE = """usage: sstableloader [options] <dir_path>

Bulk load the sstables found in the directory <dir_path> to the configured cluster.The parent directories of <dir_path> are used as the target keyspace/table name. So for instance, to load an sstable named Standard1-g-1-Data.db into Keyspace1/Standard1, you will need to have the files Standard1-g-1-Data.db and Standard1-g-1-Index.db into a directory /path/to/Keyspace1/Standard1/.
 -d,--nodes <initial hosts>                   Required. try to connect to these hosts (comma separated) initially for ring information
 -i,--ignore <NODES>                          don't stream to this (comma separated) list of nodes
 -p,--port <native transport port>            port used for native connection (default 9042)
 -u,--username <username>                     username for cassandra authentication
 -pw,--password <password>                    password for cassandra authentication
 -cph,--connections-per-host <connectionsPerHost>  number of concurrent connections-per-host.
 -v,--verbose                                 verbose output
 --no-progress                                don't display progress
 -h,--help                                    display this help message
"""


class UsageError(Exception):
    pass


def parse_args(argv, version):
    options, positional = {}, []
    known = [o for o in _OPTIONS if version.at_least(o[3])]
    tokens = list(argv)
    while tokens:
        token = tokens.pop(0)
        if token == "--":
            positional += tokens
            break
        if not token.startswith("-") or token == "-":
            positional.append(token)
            continue
        name, _, inline = token.lstrip("-").partition("=")
        spec = next((o for o in known if (token.startswith("--") and o[1] == name) or
                     (not token.startswith("--") and o[0] == name)), None)
        if spec is None:
            raise UsageError(f"Unrecognized option: {token}")
        if spec[2]:
            if inline:
                options[spec[1]] = inline
            elif tokens:
                options[spec[1]] = tokens.pop(0)
            else:
                raise UsageError(f"Missing argument for option: {spec[0] or spec[1]}")
        else:
            options[spec[1]] = True
    return options, positional


def _fail(err, out, message: str) -> int:
    err.write(message + "\n")
    out.write(USAGE)
    return 1


def main(home_root: str, argv, out=None, err=None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    home = NodeHome(home_root)
    local = Node(home)
    try:
        options, positional = parse_args(argv, local.version)
    except UsageError as e:
        return _fail(err, out, str(e))
    if options.get("help"):
        out.write(USAGE)
        return 0
    if not positional:
        return _fail(err, out, "Missing sstable directory argument")
    if len(positional) > 1:
        return _fail(err, out, "Too many arguments")
    directory = positional[0]
    if not os.path.exists(directory):
        return _fail(err, out, f"Unknown directory: {directory}")
    if not os.path.isdir(directory):
        return _fail(err, out, f"{directory} is not a directory")
    if ("username" in options) != ("password" in options):
        return _fail(err, out, "Username and password must both be provided")
    if "nodes" not in options:
        return _fail(err, out, "Initial hosts must be specified (-d)")
    return Load(home, local, options, os.path.abspath(directory), out, err).run()


class Load:
    def __init__(self, home, local: Node, options, directory: str, out, err):
        self.home, self.local, self.options = home, local, options
        self.directory, self.out, self.err = directory, out, err
        self.cluster = None  # clusters.Found of the initial host reached: the target cluster
        self.ring = None  # that cluster's ring.json
        self.with_port = local.version.at_least("4.0")
        self.port = self.options.get("port", "9042")

    def endpoint(self, node: dict) -> str:
        return f"/{node['address']}:7000" if self.with_port else f"/{node['address']}"

    def _resolve(self, host: str):
        """The lab node at `host` (this node for the loopback names), whichever lab owns it."""
        if host in cql_connect.LOCAL_HOSTS:
            host = self.local.address
        return clusters.find(host, self.home.lab)

    def _connect(self) -> bool:
        """The driver's control connection: the -d hosts in random order (ControlConnection.connect
        shuffles the contact points), the first that answers gives the ring and the schema; the
        other clusters' contact points are not in its peers and are dropped. A login refused on
        the host reached ends the attempt (AuthenticationException is not retried elsewhere)."""
        hosts = [h.strip() for h in self.options["nodes"].split(",") if h.strip()]
        order = list(hosts)
        random.shuffle(order)
        for host in order:
            found = self._resolve(host)
            if found is None or not Node(found.home).serving or self.port != cql_connect.NATIVE_PORT:
                continue
            refusal = self._login(Node(found.home), host)
            if refusal:
                self._connect_failed(f"com.datastax.driver.core.exceptions.AuthenticationException: "
                                     f"Authentication error on host /{host}:{self.port}: {refusal}")
                return False
            self.cluster, self.ring = found, found.ring
            return True
        tried = ", ".join(f"/{h}:{self.port} (com.datastax.driver.core.exceptions.TransportException: "
                          f"[/{h}:{self.port}] Cannot connect)" for h in hosts[:3])
        if len(hosts) > 3:
            tried = "[" + ", ".join(f"/{h}:{self.port}" for h in hosts) + "] - use getErrors() for details"
        self._connect_failed("com.datastax.driver.core.exceptions.NoHostAvailableException: All host(s) tried for "
                             f"query failed (tried: {tried})")
        return False

    def _login(self, node: Node, host: str):
        """Why the node refuses the loader's -u/-pw, or None (cql_connect: the node's
        cassandra.yaml authenticator and conf/cql_users, the same roles cqlsh logs in with)."""
        if not cql_connect.requires_login(node):
            return None
        username, password = self.options.get("username"), self.options.get("password")
        if username is None:  # no credentials: the driver has no authenticator to answer with
            return f"Host /{host}:{self.port} requires authentication, but no authenticator found in Cluster configuration"
        if not password:
            return "Password must not be null"
        if cql_connect.users(node).get(username) != password:
            return f"Provided username {username} and/or password are incorrect"
        return None

    def _connect_failed(self, exception: str) -> None:
        self.err.write("Error while connecting to initial hosts\n")
        self.err.write(exception + "\n")
        self.err.write("\tat org.apache.cassandra.tools.BulkLoader$ExternalClient.init(BulkLoader.java:293)\n")

    def _target_table(self):
        keyspace = self.options.get("target-keyspace") or os.path.basename(os.path.dirname(self.directory))
        name = self.options.get("target-table") or os.path.basename(self.directory)
        if "target-table" not in self.options and len(name) > 33 and name[-33] == "-":
            name = name[:-33]  # <table>-<32 hex id>
        spec = self.ring.schema["keyspaces"].get(keyspace, {}).get("tables", {}).get(name)
        return keyspace, name, (Table(keyspace, name, spec) if spec else None)

    def _open_sstables(self, keyspace, name, table) -> list:
        """[(Data.db path, fragments)] of the usable sstables, with the skip messages."""
        opened = []
        found = sstable.list_sstables(self.directory)
        for prefix in sorted(found, key=storage.id_order):
            descriptor = sstable.parse_prefix(prefix)
            data_name = prefix + "-Data.db"
            if data_name not in found[prefix]:
                continue
            primary = ("Partitions.db", "Rows.db") if descriptor.format == "bti" else ("Index.db",)
            missing = [c for c in primary if descriptor.filename(c) not in found[prefix]]
            if missing:
                if self.local.version.at_least("5.0"):
                    self.out.write(f"Skipping file {data_name} because {missing[0]} is missing\n")
                else:
                    self.out.write(f"Skipping file {data_name} because index is missing\n")
                continue
            if table is None:
                self.out.write(f"Skipping file {data_name}: table {keyspace}.{name} doesn't exist\n")
                continue
            try:
                fragments = sstable.read_fragments(os.path.join(self.directory, data_name))
            except (sstable.CorruptSSTable, OSError) as e:
                self.out.write(f"Skipping file {data_name}, error opening it: {e}\n")
                continue
            opened.append((os.path.join(self.directory, data_name), fragments))
        return opened

    def run(self) -> int:
        began = time.monotonic()
        if not self._connect():
            return 1
        self.out.write("Established connection to initial hosts\n")
        keyspace, name, table = self._target_table()
        self.out.write("Opening sstables and calculating sections to stream\n")
        opened = self._open_sstables(keyspace, name, table)
        streams = self._plan(table, opened) if opened else {}
        if opened:
            names = "".join(path + " " for path, _ in opened)
            endpoints = formatting.java_list(self.endpoint(n) for n in self.ring.nodes)
            self.out.write(f"Streaming relevant part of {names} to {endpoints}\n")
        failed, files, total_bytes = self._stream(table, streams, began)
        if failed:
            self.err.write("Streaming to the following hosts failed:\n")
            self.err.write(formatting.java_list(self.endpoint(self.ring.node(n)) for n in failed) + "\n")
            self.err.write("java.util.concurrent.ExecutionException: org.apache.cassandra.streaming.StreamException: "
                           "Stream failed\n\tat org.apache.cassandra.tools.BulkLoader.load(BulkLoader.java:117)\n")
            return 1
        if not self.options.get("no-progress"):
            self._summary(files, total_bytes, began)
        return 0

    def _plan(self, table, opened) -> dict:
        """{receiver name: [fragments per source sstable]} (sections of each sstable)."""
        token_ring = placement.TokenRing(self.ring.nodes)
        replication = self.ring.schema["keyspaces"][table.keyspace]["replication"]
        ignored = {h.strip() for h in self.options.get("ignore", "").split(",") if h.strip()}
        streams = {}
        for _, fragments in opened:
            per_node = {}
            for fragment in fragments:
                token = rows.partition_token(table.partition_key_types, fragment["k"])
                for receiver in token_ring.replicas(token, replication):
                    if self.ring.node(receiver)["address"] not in ignored:
                        per_node.setdefault(receiver, []).append(fragment)
            for receiver, section in per_node.items():
                streams.setdefault(receiver, []).append(section)
        return streams

    def _stream(self, table, streams: dict, began: float):
        failed, files, total = [], 0, 0
        accepted = self.local.version.loader_streaming_versions
        for receiver in sorted(streams, key=lambda n: list(self.ring.data["nodes"]).index(n)):
            node = Node(self.cluster.lab.node_home(receiver))
            if not node.serving or node.version.messaging_version(node.settings) not in accepted:
                # down, or InboundConnectionInitiator: "Received stream using protocol version
                # %d (my version %d). Terminating connection"
                failed.append(receiver)
                continue
            with node.lock():
                for section in streams[receiver]:
                    storage.write_sstable(node, table, section)
                    files += 1
                    total += node.table_entry(table)["live"][-1][2]  # the size just registered
                node.save_registry()
            if not self.options.get("no-progress"):
                count = len(streams[receiver])
                rate = _rate(total, time.monotonic() - began)
                self.out.write(f"\rprogress: [{self.endpoint(self.ring.node(receiver))}]0:{count}/{count} 100% "
                               f"total: 100% {rate} (avg: {rate})\n")
        return failed, files, total

    def _summary(self, files: int, total: int, began: float) -> None:
        elapsed = time.monotonic() - began
        rate = _rate(total, elapsed)
        lines = ["", "Summary statistics: ",
                 "   %-24s: %-10d" % ("Connections per host ", int(self.options.get("connections-per-host", 1))),
                 "   %-24s: %-10d" % ("Total files transferred ", files),
                 "   %-24s: %-10s" % ("Total bytes transferred ", _pretty_memory(total)),
                 "   %-24s: %-10s" % ("Total duration ", f"{int(elapsed * 1000)} ms"),
                 "   %-24s: %-10s" % ("Average transfer rate ", rate),
                 "   %-24s: %-10s" % ("Peak transfer rate ", rate)]
        self.out.write("\n".join(lines) + "\n\n")


def _pretty_memory(size: int) -> str:
    """FBUtilities.prettyPrintMemory."""
    if size >= 1 << 30:
        return "%.3fGiB" % (size / (1 << 30))
    if size >= 1 << 20:
        return "%.3fMiB" % (size / (1 << 20))
    return "%.3fKiB" % (size / (1 << 10))


def _rate(size: int, seconds: float) -> str:
    """FBUtilities.prettyPrintMemoryPerSecond."""
    per_second = int(size / seconds) if seconds > 0 else 0
    if per_second >= 1 << 30:
        return "%.3fGiB/s" % (per_second / (1 << 30))
    if per_second >= 1 << 20:
        return "%.3fMiB/s" % (per_second / (1 << 20))
    return "%.3fKiB/s" % (per_second / (1 << 10))
