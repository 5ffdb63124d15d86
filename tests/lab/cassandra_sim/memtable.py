"""Memtables: writes a node accepted but has not flushed yet, one JSON-lines file per table
under state/memtables/<ks>/<table>-<id>.jsonl (outside the data directory, so nothing there
looks like an sstable). A file doubles as the commit log: it survives a crash (cassandra-stop
--kill) and is flushed at the next start, as commit log replay does.

Callers hold the node lock (Node.lock()) around every change.
"""

import os

from . import jsonlite


def path(home, table) -> str:
    return os.path.join(home.memtables, table.keyspace, table.dir_name + ".jsonl")


def append(home, table, fragments) -> None:
    target = path(home, table)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "ab") as f:
        f.write(b"".join(jsonlite.dumps(fr, compact=True).encode() + b"\n" for fr in fragments))


def read(home, table) -> list:
    try:
        with open(path(home, table), "rb") as f:
            return [jsonlite.loads(line) for line in f if line.strip()]
    except FileNotFoundError:
        return []


def is_empty(home, table) -> bool:
    try:
        return os.path.getsize(path(home, table)) == 0
    except FileNotFoundError:
        return True


def discard(home, table) -> None:
    try:
        os.unlink(path(home, table))
    except FileNotFoundError:
        pass


def tables_with_data(home) -> list:
    """(keyspace, table dir name) of every non-empty memtable."""
    found = []
    try:
        keyspaces = os.listdir(home.memtables)
    except FileNotFoundError:
        return found
    for keyspace in keyspaces:
        for name in os.listdir(os.path.join(home.memtables, keyspace)):
            if name.endswith(".jsonl") and os.path.getsize(os.path.join(home.memtables, keyspace, name)):
                found.append((keyspace, name[:-len(".jsonl")]))
    return found
