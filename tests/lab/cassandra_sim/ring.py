"""ring.json: the cluster-wide state every simulated node shares (../README.md).

    {"cluster_name": "lab-1", "partitioner": "...Murmur3Partitioner", "snitch": "...",
     "nodes": {"dc1-n1": {"name", "address", "dc", "rack", "host_id", "tokens": [int, ...],
                          "version": "4.1", "release_version": "4.1.6", "up": true}, ...},
     "schema": {"version": "<uuid>", "changed_at_ms": <millis of the last version change>,
                "keyspaces": {"ks": {"replication": {...}, "durable_writes": true,
                                     "tables": {"t": {...schema.py...}}}}}}

Gossip in miniature: a node's `up` here mirrors `running` in its conf/node.json, which is the
authority (cassandra-start/-stop write both). Every update happens under an flock on ring.lock
and replaces the file atomically, so parallel create-node calls and cqlsh DDL never lose writes.
"""

import os

from .layout import LabDir, locked, read_json, write_json

PARTITIONER = "org.apache.cassandra.dht.Murmur3Partitioner"
SNITCH = "org.apache.cassandra.locator.GossipingPropertyFileSnitch"


class Ring:
    def __init__(self, lab: LabDir, data: dict):
        self.lab = lab
        self.data = data

    @classmethod
    def load(cls, lab: LabDir) -> "Ring":
        data = read_json(lab.ring)
        if data is None:
            raise FileNotFoundError(f"{lab.ring} does not exist (create a node first)")
        return cls(lab, data)

    @property
    def cluster_name(self) -> str:
        return self.data["cluster_name"]

    @property
    def nodes(self) -> list:
        """Node entries, ordered by name (dc1-n1, dc1-n2, ..., dc2-n1, ...)."""
        return [self.data["nodes"][name] for name in sorted(self.data["nodes"], key=_natural)]

    def node(self, name: str) -> dict:
        return self.data["nodes"][name]

    def node_by_address(self, address: str):
        for node in self.data["nodes"].values():
            if node["address"] == address:
                return node
        return None

    @property
    def schema(self) -> dict:
        return self.data["schema"]

    @property
    def datacenters(self) -> list:
        return sorted({n["dc"] for n in self.data["nodes"].values()})


def _natural(name: str):
    """dc1-n2 before dc1-n10."""
    parts, current = [], ""
    for char in name:
        if current and char.isdigit() != current[-1].isdigit():
            parts.append(int(current) if current.isdigit() else current)
            current = ""
        current += char
    if current:
        parts.append(int(current) if current.isdigit() else current)
    return [(0, p, "") if isinstance(p, int) else (1, 0, p) for p in parts]


def empty_ring(cluster_name: str) -> dict:
    schema = {"keyspaces": {}}
    schema["version"] = schema_version(schema)
    return {"cluster_name": cluster_name, "partitioner": PARTITIONER, "snitch": SNITCH,
            "nodes": {}, "schema": schema}


def schema_version(schema: dict) -> str:
    """A UUID that changes whenever the schema does (describecluster's 'Schema versions')."""
    import json  # only on writes
    from .versions import md5_digest
    digest = bytearray(md5_digest(json.dumps(schema.get("keyspaces", {}), sort_keys=True).encode()))
    digest[6] = (digest[6] & 0x0F) | 0x30
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class updating:
    """`with updating(lab) as data:` read-modify-writes ring.json under ring.lock; change `data`
    in place. The schema version is recomputed on the way out; nothing is written when the
    block raises."""

    def __init__(self, lab: LabDir, cluster_name: str = "Test Cluster"):
        self.lab = lab
        self.cluster_name = cluster_name
        self.lock = locked(lab.ring_lock)
        self.data = None

    def __enter__(self) -> dict:
        os.makedirs(self.lab.root, exist_ok=True)
        self.lock.__enter__()
        self.data = read_json(self.lab.ring) or empty_ring(self.cluster_name)
        return self.data

    def __exit__(self, kind, value, traceback):
        try:
            if kind is None:
                schema = self.data["schema"]
                version = schema_version(schema)
                if version != schema.get("version"):
                    import time
                    schema["changed_at_ms"] = time.time_ns() // 1_000_000  # gossip's SCHEMA version
                schema["version"] = version
                write_json(self.lab.ring, self.data)
        finally:
            self.lock.__exit__(kind, value, traceback)
        return False
