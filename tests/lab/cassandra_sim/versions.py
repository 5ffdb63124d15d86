"""What differs between the simulated Cassandra versions (cassandra-behaviour.md §1, §8-§10).

A node runs one release, e.g. 4.0.12. Its major line (4.0) decides almost everything; the
release decides the few fixes that landed within a line (which sstable version 3.11 writes,
CASSANDRA-19401 for import) and what `nodetool version` prints. Code asks the Version object
questions ("has import?", "which sstable format?") instead of comparing version strings all
over the place.
"""

SUPPORTED = ("3.11", "4.0", "4.1", "5.0")

# The releases docs/cassandra-behaviour.md describes (§1): the default release of each line.
RELEASES = {"3.11": "3.11.18", "4.0": "4.0.13", "4.1": "4.1.6", "5.0": "5.0.3"}

# CASSANDRA-19401: import lists sstables whatever their directories are called since these
# releases (and every 5.0 release); before, it took keyspace/table from the parent directories.
_FOREIGN_TABLE_IMPORT = {"4.0": 13, "4.1": 5, "5.0": 0}


def parse_version(text: str) -> tuple:
    """(major line, release) of `4.1` or `4.1.4`; ValueError for anything else. Any patch
    number is accepted: the simulator does not know which releases were published."""
    parts = text.split(".")
    major = ".".join(parts[:2])
    if major not in SUPPORTED or len(parts) > 3 or (len(parts) == 3 and not parts[2].isdigit()):
        raise ValueError(f"unsupported Cassandra version {text!r} (choose a line from {', '.join(SUPPORTED)}, "
                         f"or a release of one such as 4.0.12)")
    return major, (text if len(parts) == 3 else RELEASES[major])

LOCAL_SYSTEM_KEYSPACES = ("system", "system_schema")
REPLICATED_SYSTEM_KEYSPACES = ("system_auth", "system_distributed", "system_traces")
SYSTEM_KEYSPACES = LOCAL_SYSTEM_KEYSPACES + REPLICATED_SYSTEM_KEYSPACES
VIRTUAL_KEYSPACES = ("system_views", "system_virtual_schema")  # 4.0+, never on disk

# Table lists of the system keyspaces, from SystemKeyspace/SchemaKeyspace/AuthKeyspace/
# SystemDistributedKeyspace/TraceKeyspace of each branch (cassandra-behaviour.md §9.2).
_SYSTEM_TABLES = {
    "3.11": ["IndexInfo", "batches", "paxos", "local", "peers", "peer_events", "range_xfers",
             "compaction_history", "sstable_activity", "size_estimates", "available_ranges",
             "transferred_ranges", "views_builds_in_progress", "built_views", "hints", "batchlog",
             "prepared_statements", "schema_keyspaces", "schema_columnfamilies", "schema_columns",
             "schema_triggers", "schema_usertypes", "schema_functions", "schema_aggregates"],
    "4.0": ["IndexInfo", "batches", "paxos", "local", "peers_v2", "peers", "peer_events_v2",
            "peer_events", "compaction_history", "sstable_activity", "size_estimates",
            "table_estimates", "available_ranges_v2", "available_ranges", "transferred_ranges_v2",
            "transferred_ranges", "view_builds_in_progress", "built_views", "prepared_statements",
            "repairs"],
}
_SYSTEM_TABLES["4.1"] = _SYSTEM_TABLES["4.0"][:3] + ["paxos_repair_history"] + _SYSTEM_TABLES["4.0"][3:10] + \
    ["sstable_activity_v2"] + _SYSTEM_TABLES["4.0"][10:] + ["top_partitions"]
_SYSTEM_TABLES["5.0"] = list(_SYSTEM_TABLES["4.1"])

_SCHEMA_TABLES = ["keyspaces", "tables", "columns", "dropped_columns", "triggers", "views", "types",
                  "functions", "aggregates", "indexes"]
_AUTH_TABLES = ["roles", "role_members", "role_permissions", "resource_role_permissons_index"]
_DISTRIBUTED_TABLES = ["repair_history", "parent_repair_history", "view_build_status"]


class Version:
    def __init__(self, text: str):
        """`text` is a major line (`4.1`: its default release) or a release (`4.1.4`)."""
        self.major, self.release = parse_version(text)
        self.patch = int(self.release.rsplit(".", 1)[1])
        self._number = tuple(int(p) for p in self.major.split("."))

    def at_least(self, major: str) -> bool:
        return self._number >= tuple(int(p) for p in major.split("."))

    # --- features -----------------------------------------------------------------------------
    @property
    def default_num_tokens(self) -> int:
        return 256 if self.major == "3.11" else 16  # cassandra-behaviour.md §8.1

    @property
    def has_import(self) -> bool:
        return self.at_least("4.0")  # cassandra-behaviour.md §6.3

    @property
    def import_takes_table_from_path(self) -> bool:
        """Before CASSANDRA-19401 (4.0.13, 4.1.5) import derived keyspace/table from the parent
        directories of each sstable and skipped the ones that did not match
        (cassandra-behaviour.md §6.5)."""
        return self.has_import and self.patch < _FOREIGN_TABLE_IMPORT[self.major]

    @property
    def flush_skips_existing_files(self) -> bool:
        """3.11 and 4.0 name a flush's sstable fileIndexGenerator.incrementAndGet() without
        looking at the disk, and SequentialWriter opens an existing file READ/WRITE: a file
        dropped into a live table dir at the next generation is overwritten
        (cassandra-behaviour.md §15; ColumnFamilyStore.getSSTablePath 3.11, newSSTableDescriptor
        4.0). 4.1+ assert that the Data.db does not exist; the simulator moves on to a free
        generation."""
        return self.at_least("4.1")

    @property
    def has_snapshot_ttl(self) -> bool:
        return self.at_least("4.1")  # CASSANDRA-16789, cassandra-behaviour.md §3.1

    @property
    def has_datapaths(self) -> bool:
        return self.at_least("4.1")  # cassandra-behaviour.md §8.7

    @property
    def supports_uuid_sstable_ids(self) -> bool:
        return self.at_least("4.1")  # cassandra-behaviour.md §10.2

    @property
    def jdk_connection_refused(self) -> str:
        # 3.11 runs on JDK 8, whose message repeats itself; 4.0+ on JDK 11+
        # (cassandra-behaviour.md §2.2).
        return "Connection refused (Connection refused)" if self.major == "3.11" else "Connection refused"

    @property
    def tag_separator(self):
        """The character nodetool snapshot refuses in tags: none in 3.11, ':' in 4.0.4+
        (java.io.File.pathSeparator), '/' in 4.1+ (cassandra-behaviour.md §3.4)."""
        if self.major == "3.11":
            return None
        return ":" if self.major == "4.0" else "/"

    @property
    def commitlog_version(self) -> int:
        # cassandra-behaviour.md §13.1
        return {"3.11": 6, "4.0": 7, "4.1": 7, "5.0": 7}[self.major]

    # --- internode messaging ----------------------------------------------------------------------
    def messaging_version(self, settings) -> int:
        """MessagingService.current_version (gossip NET_VERSION): 3.11 VERSION_3014 = 11, 4.x
        VERSION_40 = 12, 5.0 VERSION_50 = 13 unless storage_compatibility_mode is CASSANDRA_4 (its
        default), which keeps 12."""
        if self.major == "3.11":
            return 11
        if self.major == "5.0" and settings.get("storage_compatibility_mode", "CASSANDRA_4") != "CASSANDRA_4":
            return 13
        return 12

    @property
    def loader_streaming_versions(self) -> tuple:
        """Messaging versions an sstableloader of this line can stream at (cassandra-behaviour.md
        §14): a receiver accepts a stream only at its own current_version and terminates the
        connection otherwise, so a 3.11 loader (11) streams to 3.11 nodes only and a 4.x loader
        (12) to 4.x nodes and 5.0 nodes in CASSANDRA_4 mode; a 5.0 loader (client mode) takes
        12 and 13."""
        return {"3.11": (11,), "4.0": (12,), "4.1": (12,), "5.0": (12, 13)}[self.major]

    # --- sstables -------------------------------------------------------------------------------
    def sstable_format(self, settings) -> tuple:
        """(version, format) new sstables are written in, given cassandra.yaml settings
        (cassandra-behaviour.md §10.1): 3.11 mc/md/me-big by release, 4.x nb-big, 5.0 nb-big
        unless storage_compatibility_mode is UPGRADING/NONE (then oa-big, or da-bti with
        selected_format bti)."""
        if self.major == "3.11":
            return ("mc" if self.patch <= 3 else "md" if self.patch <= 10 else "me"), "big"
        if self.major in ("4.0", "4.1"):
            return "nb", "big"
        if settings.get("storage_compatibility_mode", "CASSANDRA_4") == "CASSANDRA_4":
            return "nb", "big"
        if settings.get("sstable_selected_format", "big") == "bti":
            return "da", "bti"
        return "oa", "big"

    def knows_format(self, fmt: str) -> bool:
        """BTI exists in 5.0 only; older nodes do not recognise `-bti-` names at all."""
        return fmt == "big" or (fmt == "bti" and self.at_least("5.0"))

    def can_read_sstable(self, version: str, fmt: str, settings) -> bool:
        """Version.isCompatible (BigFormat/BtiFormat): at least the earliest supported version,
        and a first letter no later than the current one's (cassandra-behaviour.md §6.8). So a
        5.0 node in the default CASSANDRA_4 mode (current `nb`) cannot read `oa`, and 3.11
        cannot read `na`/`nb`."""
        if not self.knows_format(fmt):
            return False
        if fmt == "bti":
            return version >= "da" and version[0] <= "d"
        current = self.sstable_format(settings)[0] if self.major != "5.0" else \
            ("nb" if settings.get("storage_compatibility_mode", "CASSANDRA_4") == "CASSANDRA_4" else "oa")
        earliest = "jb" if self.major == "3.11" else "ma"
        return version >= earliest and version[0] <= current[0]

    def can_read_sstable_id(self, sstable_id: str) -> bool:
        """4.0 parses the id as an int (Descriptor.fromFilename); 4.1 added UUID ids."""
        return sstable_id.isdigit() or self.supports_uuid_sstable_ids

    @property
    def compression_chunk_kb(self) -> int:
        return 64 if self.major == "3.11" else 16  # cassandra-behaviour.md §11.3

    # --- system keyspaces ---------------------------------------------------------------------
    def system_tables(self) -> dict:
        """{keyspace: [table, ...]} of the system keyspaces that live on disk
        (cassandra-behaviour.md §9.2)."""
        auth = list(_AUTH_TABLES)
        if self.at_least("4.0"):
            auth.append("network_permissions")
        if self.at_least("5.0"):
            auth += ["cidr_permissions", "cidr_groups", "identity_to_role"]
        distributed = list(_DISTRIBUTED_TABLES)
        if self.at_least("4.1"):
            distributed.append("partition_denylist")
        schema = list(_SCHEMA_TABLES) + (["column_masks"] if self.at_least("5.0") else [])
        return {
            "system": list(_SYSTEM_TABLES[self.major]),
            "system_schema": schema,
            "system_auth": auth,
            "system_distributed": distributed,
            "system_traces": ["sessions", "events"],
        }

    @staticmethod
    def system_replication(keyspace: str) -> dict:
        """Replication of the system keyspaces as describecluster shows it
        (cassandra-behaviour.md §8.2)."""
        if keyspace in LOCAL_SYSTEM_KEYSPACES:
            return {"class": "org.apache.cassandra.locator.LocalStrategy"}
        factor = {"system_auth": "1", "system_distributed": "3", "system_traces": "2"}[keyspace]
        return {"class": "org.apache.cassandra.locator.SimpleStrategy", "replication_factor": factor}


def md5_digest(data: bytes) -> bytes:
    """MD5 without importing hashlib (whose OpenSSL binding costs ~5 ms of start-up)."""
    try:
        from _md5 import md5
    except ImportError:
        from hashlib import md5
    return md5(data).digest()


def system_table_id(keyspace: str, table: str) -> str:
    """TableId.forSystemTable: UUID.nameUUIDFromBytes(ks + table), i.e. md5 with version 3 and
    the IETF variant, as 32 hex digits (cassandra-behaviour.md §9.1)."""
    digest = bytearray(md5_digest((keyspace + table).encode()))
    digest[6] = (digest[6] & 0x0F) | 0x30
    digest[8] = (digest[8] & 0x3F) | 0x80
    return digest.hex()
