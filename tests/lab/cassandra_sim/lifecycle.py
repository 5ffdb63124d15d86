"""cassandra-start and cassandra-stop of a simulated node.

stop: a graceful shutdown drains first (the shutdown hook, cassandra-behaviour.md §8.5), so
every memtable is flushed (and backed up when incremental backups are on). `cassandra-stop
--kill` models a crash (SIGKILL) instead: the unflushed writes stay in the commit log segments.
start: what Cassandra does at boot: re-read cassandra.yaml (the enablebackup runtime flag is
lost, cassandra-behaviour.md §7), take as live every complete sstable in the table directories
and resume the generation counter after the highest one found there and in backups/, replay
the commit log (whatever is still in the segments is flushed, writes to unknown tables are
skipped, the replayed segments are deleted), new gossip generation, new commit log segment.
"""

import os
import sys

from . import memtable, storage
from .layout import NodeHome
from .node_state import Node, now_millis
from .ring import Ring, updating
from .schema import NodeSchema


def _schema_tables(node: Node) -> list:
    return NodeSchema(node.version, Ring.load(node.home.lab).schema).tables


def _set_ring_up(node: Node, up: bool) -> None:
    """Mirror `running` into ring.json (taken after the node lock is released: DDL takes the
    ring lock first and node locks second, so never the other way round)."""
    with updating(node.home.lab) as data:
        if node.name in data["nodes"]:
            data["nodes"][node.name]["up"] = up


def stop(home_root: str, kill: bool = False) -> int:
    node = Node(NodeHome(home_root))
    with node.lock():
        node.state = Node(node.home).state
        if not node.running:
            return 0
        if not kill:
            storage.flush_tables(node, _schema_tables(node))
            node.save_registry()
        if not node.state.get("drained"):  # a drained node already announced its shutdown
            node.mark_gossip_stopped("killed" if kill else "shutdown")
        node.state.update(running=False, drained=False)
        node.save_state()
    _set_ring_up(node, False)
    return 0


def start(home_root: str) -> int:
    node = Node(NodeHome(home_root))
    with node.lock():
        node.state = Node(node.home).state
        if node.running:
            return 0
        boot(node, _schema_tables(node))
    _set_ring_up(node, True)
    return 0


def boot(node: Node, tables) -> None:
    """The start-up sequence (also used by create-node). Caller holds the node lock."""
    node.state["incremental_backups"] = node.settings.get("incremental_backups") is True
    node.state["uuid_lsb"] = int.from_bytes(os.urandom(8), "big") | 0x8080000000000000
    storage.scan_live_sets(node, tables)
    storage.flush_tables(node, tables)  # commit log replay: CommitLogReplayer flushes what it applied
    memtable.recycle(node)
    now = now_millis()
    node.state.update(running=True, drained=False, started_at_ms=now, generation=now // 1000)
    node.state.pop("gossip_stopped_at_ms", None)
    node.state.pop("gossip_stop", None)
    node.save_registry()
    node.save_state()
    memtable.new_segment(node, now)


def main_start(home_root: str, argv) -> int:
    if argv:
        sys.stderr.write("usage: cassandra-start\n")
        return 2
    return start(home_root)


def main_stop(home_root: str, argv) -> int:
    if argv not in ([], ["--kill"]):
        sys.stderr.write("usage: cassandra-stop [--kill]\n")
        return 2
    return stop(home_root, kill=argv == ["--kill"])
