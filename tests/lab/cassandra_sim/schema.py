"""The schema model: keyspaces and tables, user ones from ring.json and system ones per version.

ring.json holds user keyspaces only (cassandra-behaviour.md §9.2: system keyspaces differ by
version, so each node derives its own from versions.py). A table as stored in ring.json:

    {"id": "<32 hex>", "columns": [["id", "int"], ["v", "text"]], "partition_key": ["id"],
     "clustering": [["c", "ASC"]], "options": {"comment": "..."}, "created_at": <ms>}
"""

from .versions import LOCAL_SYSTEM_KEYSPACES, REPLICATED_SYSTEM_KEYSPACES, SYSTEM_KEYSPACES, Version, \
    system_table_id


class Table:
    def __init__(self, keyspace: str, name: str, spec: dict):
        self.keyspace = keyspace
        self.name = name
        self.id = spec["id"]
        self.spec = spec
        self.columns = [tuple(c) for c in spec.get("columns", [])]
        self.types = dict(self.columns)
        self.partition_key = list(spec.get("partition_key", []))
        self.clustering = [tuple(c) for c in spec.get("clustering", [])]
        self.options = spec.get("options", {})

    @property
    def dir_name(self) -> str:
        """<table>-<32 hex id>, as Directories names it (cassandra-behaviour.md §9.1)."""
        return f"{self.name}-{self.id}"

    @property
    def qualified(self) -> str:
        return f"{self.keyspace}.{self.name}"

    @property
    def partition_key_types(self) -> list:
        return [self.types[c] for c in self.partition_key]

    @property
    def clustering_names(self) -> list:
        return [c for c, _ in self.clustering]

    @property
    def regular_columns(self) -> list:
        keys = set(self.partition_key) | set(self.clustering_names)
        return sorted(c for c, _ in self.columns if c not in keys)

    @property
    def is_system(self) -> bool:
        return self.keyspace in SYSTEM_KEYSPACES

    @property
    def dashed_id(self) -> str:
        h = self.id
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def incremental_backups_allowed(self) -> bool:
        """The 5.0 table option incremental_backups (default true, CASSANDRA-15402,
        cassandra-behaviour.md §12)."""
        return str(self.options.get("incremental_backups", "true")).lower() != "false"


def system_tables(version: Version) -> list:
    """Table objects for every on-disk system table of this version (deterministic ids)."""
    tables = []
    for keyspace, names in version.system_tables().items():
        for name in names:
            spec = {"id": system_table_id(keyspace, name), "columns": [["key", "text"], ["value", "text"]],
                    "partition_key": ["key"]}
            tables.append(Table(keyspace, name, spec))
    return tables


def user_tables(ring_schema: dict) -> list:
    tables = []
    for keyspace, ks_spec in ring_schema.get("keyspaces", {}).items():
        for name, spec in ks_spec.get("tables", {}).items():
            tables.append(Table(keyspace, name, spec))
    return tables


class NodeSchema:
    """The schema as one node sees it: its version's system keyspaces plus the cluster's user
    keyspaces. Keyspace order is the one describecluster/flush iterate in."""

    def __init__(self, version: Version, ring_schema: dict):
        self.version = version
        self.ring_schema = ring_schema
        self._tables = None

    @property
    def tables(self) -> list:
        if self._tables is None:
            self._tables = system_tables(self.version) + user_tables(self.ring_schema)
        return self._tables

    def keyspace_names(self) -> list:
        return list(SYSTEM_KEYSPACES) + list(self.ring_schema.get("keyspaces", {}))

    def user_keyspace_names(self) -> list:
        return list(self.ring_schema.get("keyspaces", {}))

    def has_keyspace(self, keyspace: str) -> bool:
        return keyspace in SYSTEM_KEYSPACES or keyspace in self.ring_schema.get("keyspaces", {})

    def tables_of(self, keyspace: str) -> list:
        return [t for t in self.tables if t.keyspace == keyspace]

    def table(self, keyspace: str, name: str):
        for t in self.tables:
            if t.keyspace == keyspace and t.name == name:
                return t
        return None

    def replication(self, keyspace: str) -> dict:
        if keyspace in SYSTEM_KEYSPACES:
            return Version.system_replication(keyspace)
        return self.ring_schema["keyspaces"][keyspace]["replication"]


def is_local_system(keyspace: str) -> bool:
    return keyspace in LOCAL_SYSTEM_KEYSPACES


def is_replicated_system(keyspace: str) -> bool:
    return keyspace in REPLICATED_SYSTEM_KEYSPACES
