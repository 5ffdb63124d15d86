"""`sim.py create-node`: a new simulated node in a lab (../README.md).

Writes nodes/<name>/{bin,conf,data,commitlog,state} (conf/: cassandra.yaml, node.json and
cql_users, the roles cqlsh may log in as once PasswordAuthenticator is on), registers the node in ring.json (under
ring.lock: the launcher creates nodes in parallel), creates the table directories of the
system keyspaces with their deterministic ids and of every user table already in the schema,
gives the local system tables a first sstable like a freshly started node has, and boots it.
Running it again for an existing node only rewrites the bin/ scripts.
"""

import os
import sys
import uuid

from . import lifecycle, storage
from .layout import LabDir, NodeHome, read_json, write_text_atomic
from .node_state import Node, now_micros, render_yaml
from .ring import updating
from .schema import NodeSchema
from .versions import Version

TOOLS = ("nodetool", "cqlsh", "sstableloader", "cassandra-start", "cassandra-stop")
SIM_SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sim.py")


def random_tokens(count: int) -> list:
    """Distinct random Murmur3 tokens (signed 64-bit, never Long.MIN_VALUE)."""
    tokens = set()
    while len(tokens) < count:
        token = int.from_bytes(os.urandom(8), "big", signed=True)
        if token != -(1 << 63):
            tokens.add(token)
    return sorted(tokens)


def _tokens(text: str) -> list:
    """initial_token as cassandra.yaml gives it: comma-separated Murmur3 tokens."""
    return sorted({int(token) for token in text.split(",") if token.strip()})


def _sh_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def write_tools(home: NodeHome, release: str, start_cost_ms: int = 0) -> None:
    """Tiny sh wrappers with the interpreter and the node's home baked in, so they work from a
    bare SSH session (minimal PATH, scratch HOME). -I -S keeps start-up fast and immune to the
    caller's Python environment. `start_cost_ms`: CPU each nodetool run burns first, as a JVM
    start does on a real node (sim.py)."""
    os.makedirs(home.bin, exist_ok=True)
    for tool in TOOLS:
        cost = (f"export RINGSNAP_SIM_START_COST_MS={int(start_cost_ms)}\n"
                if tool == "nodetool" and start_cost_ms else "")
        script = (f"#!/bin/sh\n# {tool} of simulated Cassandra {release} node {home.name} (ringsnap lab)\n"
                  f"{cost}exec {_sh_quote(sys.executable)} -I -S {_sh_quote(SIM_SCRIPT)} tool {tool} "
                  f"{_sh_quote(home.root)} \"$@\"\n")
        write_text_atomic(os.path.join(home.bin, tool), script, 0o755)


def _cluster_name(lab: LabDir) -> str:
    lab_state = read_json(lab.lab_json, {}) or {}
    return lab_state.get("cluster") or "Test Cluster"


def _settings(home: NodeHome, version: Version, args, data_dirs) -> list:
    settings = [("cluster_name", f"'{args.cluster_name}'"), ("num_tokens", args.num_tokens)]
    if args.initial_token:
        settings.append(("initial_token", ",".join(str(t) for t in args.initial_token)))
    settings += [
                ("authenticator", "AllowAllAuthenticator"), ("incremental_backups", False), ("auto_snapshot", True)]
    if version.supports_uuid_sstable_ids:
        settings.append(("uuid_sstable_identifiers_enabled", False))
    if version.at_least("5.0"):
        settings += [("storage_compatibility_mode", "CASSANDRA_4"), ("sstable", {"selected_format": "big"})]
    settings += [("data_file_directories", data_dirs), ("commitlog_directory", home.commitlog),
                 ("listen_address", args.address), ("rpc_address", args.address),
                 ("endpoint_snitch", "GossipingPropertyFileSnitch")]
    return settings


def create(args) -> int:
    lab = LabDir(args.lab)
    home = lab.node_home(args.name)
    version = Version(args.version)
    if os.path.exists(home.node_json):
        node = Node(home)  # the release and start-up cost it was created with
        write_tools(home, node.version.release, node.state.get("start_cost_ms", 0))
        return 0
    # initial_token (a restore into a fresh cluster node for node) fixes the tokens, and their count.
    args.initial_token = _tokens(args.initial_token) if getattr(args, "initial_token", None) else None
    if args.initial_token:
        args.num_tokens = len(args.initial_token)
    args.num_tokens = args.num_tokens or version.default_num_tokens
    args.cluster_name = _cluster_name(lab)
    data_dirs = [home.default_data_dir(i) for i in range(args.data_dirs)]
    for directory in [home.conf, home.commitlog, home.state] + data_dirs:
        os.makedirs(directory, exist_ok=True)
    write_text_atomic(home.yaml, render_yaml(args.name, version.release, _settings(home, version, args, data_dirs)))
    # The roles PasswordAuthenticator accepts (cql_connect.py): a fresh cluster's superuser.
    write_text_atomic(home.cql_users, "cassandra cassandra\n", 0o600)
    entry = {"name": args.name, "address": args.address, "dc": args.dc, "rack": args.rack,
             "host_id": str(uuid.uuid4()), "tokens": args.initial_token or random_tokens(args.num_tokens), "version": version.major,
             "release_version": version.release, "up": True}
    state = {key: entry[key] for key in ("name", "address", "dc", "rack", "host_id", "version", "release_version")}
    state.update(running=False, drained=False, incremental_backups=False, load=0,
                 start_cost_ms=getattr(args, "start_cost_ms", 0) or 0)
    from .layout import write_json
    write_json(home.node_json, state, indent=2)
    with updating(lab, args.cluster_name) as data:
        data["nodes"][args.name] = entry
        schema = dict(data["schema"])
    node = Node(home)
    tables = NodeSchema(version, schema).tables
    with node.lock():
        _first_system_sstables(node, tables)
        lifecycle.boot(node, tables)
    write_tools(home, version.release, state["start_cost_ms"])
    return 0


def _first_system_sstables(node: Node, tables) -> None:
    """A started node has flushed a few system tables (its own row in system.local, the
    schema tables); give it one sstable in each, like a fresh real node."""
    ts = now_micros()
    wanted = {("system", "local"), ("system_schema", "keyspaces"), ("system_schema", "tables"),
              ("system_schema", "columns")}
    for table in tables:
        storage.ensure_table_dirs(node, table)
        if (table.keyspace, table.name) in wanted:
            fragment = {"k": [table.name], "c": [], "m": ts,
                        "v": {"value": [f"{node.name} {table.keyspace}.{table.name}", ts]}}
            storage.write_sstable(node, table, [fragment])
    node.save_registry()
