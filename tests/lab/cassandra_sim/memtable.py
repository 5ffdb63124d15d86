"""Memtables, kept where Cassandra keeps their only durable copy: the commit log.

Writes a node accepted but has not flushed live in the segments of its commit log directory
(cassandra.yaml `commitlog_directory`, nodes/<name>/commitlog/ by default):

    CommitLog-<version>-<id>.log    a 1024-byte header, then one record per write:
                                    b"<ks>/<table>-<id>\t" + the row fragment as JSON + b"\n"

So the commit log behaves as the restore procedures expect (cassandra-behaviour.md §13.1): a
crash (`cassandra-stop --kill`) leaves the writes in the segments and the next start replays them;
deleting the segments while the node is down loses exactly the unflushed writes; a flush
drops the flushed table's records (Cassandra marks the segment clean for that table and
deletes a segment once every table is clean). Records name the table by its directory, id
included, so writes to a table that was dropped and recreated are not replayed into the new
one (CommitLogReplayer skips unknown table ids).

Callers hold the node lock (Node.lock()) around every call.
"""

import os

from . import jsonlite

HEADER_SIZE = 1024


def key(table) -> str:
    return f"{table.keyspace}/{table.dir_name}"


def segments(node) -> list:
    """Paths of the segments, oldest first (ids are creation times in milliseconds)."""
    directory = node.commitlog_dir
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return []
    found = [n for n in names if n.startswith("CommitLog-") and n.endswith(".log") and _segment_id(n) is not None]
    return [os.path.join(directory, n) for n in sorted(found, key=_segment_id)]


def _segment_id(name: str):
    parts = name[:-len(".log")].split("-")
    return int(parts[2]) if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit() else None


def new_segment(node, segment_id: int) -> str:
    """A fresh, empty segment (what a starting node allocates)."""
    os.makedirs(node.commitlog_dir, exist_ok=True)
    version = node.version.commitlog_version
    path = os.path.join(node.commitlog_dir, f"CommitLog-{version}-{segment_id}.log")
    with open(path, "wb") as f:
        f.write(_header(version, segment_id))
    return path


def _header(version: int, segment_id: int) -> bytes:
    return (version.to_bytes(4, "big") + segment_id.to_bytes(8, "big")).ljust(HEADER_SIZE, b"\x00")


def append(node, table, fragments) -> None:
    """Log writes in the newest segment (a new one if the directory was emptied meanwhile)."""
    existing = segments(node)
    if existing:
        target = existing[-1]
    else:
        import time
        target = new_segment(node, time.time_ns() // 1_000_000)
    prefix = key(table).encode() + b"\t"
    with open(target, "ab") as f:
        f.write(b"".join(prefix + jsonlite.dumps(fr, compact=True).encode() + b"\n" for fr in fragments))


def _records(path: str):
    """(table key, record line) of every record in a segment; a torn last line is ignored, as
    replay stops at the end of the last complete mutation."""
    try:
        with open(path, "rb") as f:
            f.seek(HEADER_SIZE)
            data = f.read()
    except FileNotFoundError:
        return
    for line in data.split(b"\n")[:-1]:
        table_key, tab, _ = line.partition(b"\t")
        if tab:
            yield table_key.decode(), line


def read_all(node) -> dict:
    """{table key: [fragments]} of everything not flushed yet, in write order."""
    pending = {}
    for path in segments(node):
        for table_key, line in _records(path):
            pending.setdefault(table_key, []).append(jsonlite.loads(line.partition(b"\t")[2]))
    return pending


def read(node, table) -> list:
    """The unflushed writes of one table."""
    wanted = key(table)
    return [jsonlite.loads(line.partition(b"\t")[2])
            for path in segments(node) for table_key, line in _records(path) if table_key == wanted]


def discard(node, table_keys) -> None:
    """Drop the records of these tables (flushed, truncated or dropped). Segments are
    rewritten by temp file and rename; an old segment left without records is deleted."""
    dropped = set(table_keys)
    if not dropped:
        return
    paths = segments(node)
    for path in paths:
        records = list(_records(path))
        kept = [line for table_key, line in records if table_key not in dropped]
        if len(kept) == len(records):
            continue
        if not kept and path != paths[-1]:
            os.unlink(path)
            continue
        with open(path, "rb") as f:
            header = f.read(HEADER_SIZE)
        tmp = f"{path}.tmp{os.getpid()}"
        with open(tmp, "wb") as f:
            f.write(header + b"".join(line + b"\n" for line in kept))
        os.replace(tmp, path)


def recycle(node) -> None:
    """Delete every segment (after replay at start: their writes are in sstables now)."""
    for path in segments(node):
        os.unlink(path)
