"""Rows as the simulator stores them: write fragments merged last-write-wins.

A *fragment* is one JSON object, the unit stored in memtables and in Data.db files:

    {"k": [partition key values], "c": [clustering values] | null,
     "m": row marker timestamp (INSERT),      "rd": row deletion timestamp,
     "pd": partition deletion timestamp (only with "c": null),
     "v": {"column": [value | null, timestamp], ...}}

Timestamps are microseconds like CQL write timestamps. Merging follows Cassandra's rules: the
newest cell wins, a deletion shadows everything not newer than it, and a row exists while its
marker or one of its cells is live. So data survives any mix of flush, snapshot, restore and
streaming and can be compared row by row.
"""

import struct

from . import murmur3

INTEGER_TYPES = {"int": 4, "bigint": 8, "smallint": 2, "tinyint": 1, "timestamp": 8, "counter": 8}
TEXT_TYPES = ("text", "varchar", "ascii")
UUID_TYPES = ("uuid", "timeuuid")
SUPPORTED_TYPES = tuple(INTEGER_TYPES) + TEXT_TYPES + UUID_TYPES + ("boolean", "double", "float", "blob")


def serialize(cql_type: str, value) -> bytes:
    """The bytes Cassandra hashes for a partition key component of this type."""
    if cql_type in INTEGER_TYPES:
        return int(value).to_bytes(INTEGER_TYPES[cql_type], "big", signed=True)
    if cql_type in TEXT_TYPES:
        return str(value).encode("utf-8")
    if cql_type in UUID_TYPES:
        return bytes.fromhex(str(value).replace("-", ""))
    if cql_type == "boolean":
        return b"\x01" if value else b"\x00"
    if cql_type == "double":
        return struct.pack(">d", float(value))
    if cql_type == "float":
        return struct.pack(">f", float(value))
    if cql_type == "blob":
        return bytes.fromhex(str(value)[2:])
    raise ValueError(f"unsupported type {cql_type}")


def partition_key_bytes(key_types, values) -> bytes:
    """A single key is its value's bytes; a composite key is CompositeType-encoded
    (2-byte length, bytes, end-of-component byte 0 for each part)."""
    if len(key_types) == 1:
        return serialize(key_types[0], values[0])
    out = bytearray()
    for cql_type, value in zip(key_types, values):
        part = serialize(cql_type, value)
        out += len(part).to_bytes(2, "big") + part + b"\x00"
    return bytes(out)


def partition_token(key_types, values) -> int:
    return murmur3.token(partition_key_bytes(key_types, values))


# --- merging ------------------------------------------------------------------------------------

class Partition:
    """What is known about one partition after merging fragments."""
    __slots__ = ("key", "deleted_at", "rows")

    def __init__(self, key):
        self.key = key
        self.deleted_at = None  # partition deletion timestamp
        self.rows = {}  # clustering tuple -> Row


class Row:
    __slots__ = ("marker", "deleted_at", "cells")

    def __init__(self):
        self.marker = None
        self.deleted_at = None
        self.cells = {}  # column -> [value, ts]


def _newer(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a if a >= b else b


def _cell_wins(new, old) -> bool:
    """Cassandra's reconciliation: higher timestamp wins; on a tie a tombstone wins, then the
    greater value."""
    if new[1] != old[1]:
        return new[1] > old[1]
    if (new[0] is None) != (old[0] is None):
        return new[0] is None
    return repr(new[0]) > repr(old[0])


def merge(fragments) -> dict:
    """{partition key tuple: Partition} from any iterable of fragments, in any order."""
    partitions = {}
    for fragment in fragments:
        key = tuple(fragment["k"])
        partition = partitions.get(key)
        if partition is None:
            partition = partitions[key] = Partition(key)
        if fragment.get("c") is None:
            partition.deleted_at = _newer(partition.deleted_at, fragment.get("pd"))
            continue
        clustering = tuple(fragment["c"])
        row = partition.rows.get(clustering)
        if row is None:
            row = partition.rows[clustering] = Row()
        row.marker = _newer(row.marker, fragment.get("m"))
        row.deleted_at = _newer(row.deleted_at, fragment.get("rd"))
        for column, cell in fragment.get("v", {}).items():
            old = row.cells.get(column)
            if old is None or _cell_wins(cell, old):
                row.cells[column] = cell
    return partitions


def to_fragments(partitions: dict) -> list:
    """The merged state written back as fragments (what a flush or a stream writes)."""
    fragments = []
    for key, partition in partitions.items():
        if partition.deleted_at is not None:
            fragments.append({"k": list(key), "c": None, "pd": partition.deleted_at})
        for clustering, row in partition.rows.items():
            fragment = {"k": list(key), "c": list(clustering)}
            if row.marker is not None:
                fragment["m"] = row.marker
            if row.deleted_at is not None:
                fragment["rd"] = row.deleted_at
            if row.cells:
                fragment["v"] = row.cells
            fragments.append(fragment)
    return fragments


def live_rows(partitions: dict, table) -> list:
    """The rows a SELECT returns: dicts column -> value, in token then clustering order."""
    result = []
    key_types = table.partition_key_types
    ordered = sorted(partitions.values(),
                     key=lambda p: (partition_token(key_types, p.key), sort_key(p.key)))
    for partition in ordered:
        for clustering in _clustering_order(partition.rows, table):
            row = partition.rows[clustering]
            shadow = _newer(partition.deleted_at, row.deleted_at)
            values = {}
            live = row.marker is not None and (shadow is None or row.marker > shadow)
            for column, (value, ts) in row.cells.items():
                if shadow is not None and ts <= shadow:
                    continue
                if value is not None:
                    values[column] = value
                    live = True
            if not live:
                continue
            full = dict(zip(table.partition_key, partition.key))
            full.update(zip(table.clustering_names, clustering))
            full.update(values)
            result.append(full)
    return result


def _clustering_order(clusterings, table) -> list:
    """Rows of a partition in the table's CLUSTERING ORDER (stable sorts, last column first)."""
    ordered = list(clusterings)
    for index in reversed(range(len(table.clustering))):
        descending = table.clustering[index][1] == "DESC"
        ordered.sort(key=lambda c: sort_key(c[index:index + 1]), reverse=descending)
    return ordered


def sort_key(values):
    """A total order over key values of mixed types (numbers before text)."""
    return tuple((0, v) if isinstance(v, (int, float)) else (1, str(v)) for v in values)
