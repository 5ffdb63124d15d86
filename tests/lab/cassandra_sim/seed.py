"""`sim.py seed`: fill every node of a lab with pre-existing data, fast.

Keyspaces ks1..ksN replicate over every data center (NetworkTopologyStrategy, RF 3 or the DC
size), each with tables t1..tM (id int PRIMARY KEY, v text). Rows are placed where the ring
says, so every replica of a row holds it; each node gets `--sstables` sstables per table whose
Data.db starts with a few real rows and is padded to `--size` with a sparse tail. The data
counts as old: no incremental backups links are made. Nodes are filled in parallel processes.
"""

import os
import time
import uuid
from concurrent.futures import ProcessPoolExecutor

from . import formatting, placement, rows
from .layout import LabDir
from .node_state import Node, now_micros
from .ring import Ring, updating
from .schema import Table

ROWS_PER_SSTABLE = 4
LOCATOR = "org.apache.cassandra.locator."


def parse_size(text: str) -> int:
    """1M, 512K, 2G, 1MiB or plain bytes."""
    import re
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*", text.lower())
    if not match:
        raise ValueError(f"bad size {text!r} (examples: 1M, 512K, 2G)")
    return int(float(match.group(1)) * {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}[match.group(2)])


def _ensure_schema(lab: LabDir, keyspaces: int, tables: int) -> list:
    """Create ks1..ksN / t1..tM when missing; returns their Table objects."""
    result = []
    with updating(lab) as data:
        dcs = {}
        for node in data["nodes"].values():
            dcs[node["dc"]] = dcs.get(node["dc"], 0) + 1
        replication = dict({"class": LOCATOR + "NetworkTopologyStrategy"},
                           **{dc: str(min(3, count)) for dc, count in sorted(dcs.items())})
        for k in range(1, keyspaces + 1):
            ks = data["schema"]["keyspaces"].setdefault(f"ks{k}", {"replication": replication, "durable_writes": True,
                                                                     "tables": {}})
            for t in range(1, tables + 1):
                spec = ks["tables"].setdefault(f"t{t}", {
                    "id": uuid.uuid1().hex, "columns": [["id", "int"], ["v", "text"]], "partition_key": ["id"],
                    "clustering": [], "options": {}, "created_at": int(time.time() * 1000)})
                result.append(Table(f"ks{k}", f"t{t}", spec))
    return result


def _plan(ring: Ring, tables, sstables_per_table: int) -> dict:
    """{node name: {table qualified name: [[fragment, ...] per sstable]}}: enough keys that
    every node gets ROWS_PER_SSTABLE rows in each of its sstables."""
    nodes = ring.nodes
    token_ring = placement.TokenRing(nodes)
    wanted = sstables_per_table * ROWS_PER_SSTABLE
    plan = {n["name"]: {} for n in nodes}
    replicas_cache = {}
    ts = now_micros() - 86_400_000_000  # written a day ago
    for table in tables:
        replication = ring.schema["keyspaces"][table.keyspace]["replication"]
        cache = replicas_cache.setdefault(table.keyspace, {})
        held = {n["name"]: [] for n in nodes}
        key = 0
        while min(len(v) for v in held.values()) < wanted and key < wanted * len(nodes) * 50:
            key += 1
            index = token_ring.first_index(rows.partition_token(["int"], [key]))
            if index not in cache:
                cache[index] = token_ring.replicas_at(index, replication)
            for name in cache[index]:
                if len(held[name]) < wanted:
                    held[name].append({"k": [key], "c": [], "m": ts, "v": {"v": [f"{table.name}-row-{key}", ts]}})
        for name, fragments in held.items():
            plan[name][table.qualified] = [fragments[i::sstables_per_table] for i in range(sstables_per_table)]
    return plan


def _seed_node(home_root: str, specs: list, plan: dict, size: int) -> int:
    """Write one node's sstables (runs in a worker process); returns the bytes written."""
    from .layout import NodeHome
    node = Node(NodeHome(home_root))
    written = 0
    with node.lock():
        for keyspace, name, spec in specs:
            table = Table(keyspace, name, spec)
            for fragments in plan.get(table.qualified, []):
                written += _write_old_sstable(node, table, fragments, size)
        node.save_registry()
    return written


def _write_old_sstable(node: Node, table, fragments, size: int) -> int:
    """One pre-existing sstable: no incremental backup links. Returns its size."""
    from . import storage
    if storage.write_sstable(node, table, fragments, data_size=size, backup=False) is None:
        return 0
    return node.table_entry(table)["live"][-1][2]


def seed(args) -> int:
    began = time.monotonic()
    lab = LabDir(args.lab)
    tables = _ensure_schema(lab, args.keyspaces, args.tables)
    ring = Ring.load(lab)
    for node in ring.nodes:  # table directories everywhere, like CREATE TABLE does
        n = Node(lab.node_home(node["name"]))
        for table in tables:
            from . import storage
            storage.ensure_table_dirs(n, table)
    plan = _plan(ring, tables, args.sstables)
    size = parse_size(args.size)
    specs = [(t.keyspace, t.name, t.spec) for t in tables]
    workers = max(1, min(len(ring.nodes), os.cpu_count() or 1))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_seed_node, lab.node_home(n["name"]).root, specs, plan[n["name"]], size)
                   for n in ring.nodes]
        written = sum(f.result() for f in futures)
    count = len(ring.nodes) * len(tables) * args.sstables
    print(f"seeded {len(ring.nodes)} nodes: {args.keyspaces} keyspaces, {len(tables)} tables, {count} sstables, "
          f"{formatting.stringify_file_size(written)} apparent, in {time.monotonic() - began:.1f} s")
    return 0
