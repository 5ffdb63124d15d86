"""Snapshots on disk: taking, clearing and listing them (cassandra-behaviour.md
§3.5, §4, §5, §11).

    <data>/<ks>/<table>-<id>/snapshots/<tag>/  hard links of the live sstables' components,
                                              manifest.json (+ schema.cql for user tables)

The caller holds the node lock and flushes first when the snapshot is not -sf.
"""

import os

from . import formatting, jsonlite, schema_cql, sstable
from .layout import read_json, write_json
from .node_state import Node, now_millis

_HEX = set("0123456789abcdef")


def _is_word(text: str) -> bool:
    """Java regex \\w+ (ASCII letters, digits, underscore)."""
    return bool(text) and all(c.isascii() and (c.isalnum() or c == "_") for c in text)


def parse_table_dir_name(name: str):
    """(table, id) of a `<table>-<32 hex>` directory name, or None (SnapshotLoader's pattern
    `(?<keyspace>\\w+)/(?<tableName>\\w+)-(?<tableId>[0-9a-f]{32})/snapshots/(?<tag>.+)$`)."""
    table, dash, table_id = name.rpartition("-")
    if dash and len(table_id) == 32 and set(table_id) <= _HEX and _is_word(table):
        return table, table_id
    return None


def _tag_parsable_by_50(tag: str) -> bool:
    """5.0 Descriptor.SSTABLE_DIR_PATTERN only knows snapshot tags matching [\\w-]+."""
    return _is_word(tag.replace("-", "_"))


def snapshot_dir(table_dir: str, tag: str) -> str:
    """Directories.getSnapshotDirectory: the tag is joined into the path as it is, so a tag
    with '/' nests and '..' escapes (cassandra-behaviour.md §3.4)."""
    return os.path.join(table_dir, "snapshots", tag)


def exists(node: Node, table, tag: str) -> bool:
    return any(os.path.isdir(snapshot_dir(d, tag)) for d in node.table_dirs(table))


# --- taking --------------------------------------------------------------------------------------

def take_table_snapshot(node: Node, table, tag: str, created_ms: int, ttl_seconds: int = None,
                        ephemeral: bool = False) -> None:
    """Link every live sstable, then write manifest.json and (user tables only) schema.cql."""
    from . import storage  # storage imports this module for truncate/drop
    data_files = []
    for directory, prefix, files in storage.live_files(node, table):
        sstable.link_files(directory, snapshot_dir(directory, tag), files)
        data_files.append(prefix + "-Data.db")
    home_dir = snapshot_dir(node.table_dirs(table)[0], tag)
    os.makedirs(home_dir, exist_ok=True)
    expires_ms = created_ms + ttl_seconds * 1000 if ttl_seconds else None
    with open(os.path.join(home_dir, "manifest.json"), "w") as f:
        f.write(manifest_text(node.version, data_files, created_ms, expires_ms, ephemeral))
    if not table.is_system:
        with open(os.path.join(home_dir, "schema.cql"), "w") as f:
            f.write(schema_cql.render(table, node.version))
    if ephemeral and not node.version.at_least("5.0"):
        open(os.path.join(home_dir, "ephemeral.snapshot"), "w").close()
    if expires_ms is not None:
        _remember_ttl(node, [snapshot_dir(d, tag) for d in node.table_dirs(table)], expires_ms)


def manifest_text(version, data_files, created_ms: int, expires_ms=None, ephemeral=False) -> str:
    """manifest.json in each version's serializer (cassandra-behaviour.md §11.2)."""
    if not version.at_least("4.1"):
        # json-simple: compact, '/' escaped, println()ed.
        return '{"files":[' + ",".join(jsonlite.dumps(f).replace("/", "\\/") for f in data_files) + "]}\n"
    created = formatting.iso_instant(created_ms)
    expires = formatting.iso_instant(expires_ms) if expires_ms is not None else None
    if version.at_least("5.0"):
        return formatting.jackson_pretty({"files": list(data_files), "created_at": created,
                                          "expires_at": expires, "ephemeral": bool(ephemeral)})
    return jsonlite.dumps({"files": list(data_files), "created_at": created, "expires_at": expires},
                          compact=True)


# --- ttl ----------------------------------------------------------------------------------------

def _remember_ttl(node: Node, dirs, expires_ms: int) -> None:
    pending = read_json(node.home.ttl_snapshots, [])
    pending.append({"dirs": dirs, "expires_at": expires_ms})
    write_json(node.home.ttl_snapshots, pending)


def remove_expired(node: Node) -> None:
    """SnapshotManager's periodic cleanup (every 60 s in Cassandra, cassandra-behaviour.md
    §3.1), done lazily whenever the node is asked something. Cheap when no snapshot has a
    ttl."""
    pending = read_json(node.home.ttl_snapshots)
    if not pending:
        return
    now = now_millis()
    keep = []
    for item in pending:
        if item["expires_at"] < now:
            for directory in item["dirs"]:
                _remove_tree(directory)
        elif any(os.path.isdir(d) for d in item["dirs"]):
            keep.append(item)
    write_json(node.home.ttl_snapshots, keep)


# --- clearing -----------------------------------------------------------------------------------

def clear_by_path(node: Node, tag: str, keyspaces) -> None:
    """3.11-4.1 StorageService.clearSnapshot: for every keyspace directory on disk (optionally
    only the named ones) and every table directory in it, delete snapshots/<tag>, or the whole
    snapshots/ when the tag is empty. Unknown names are silently ignored
    (cassandra-behaviour.md §4)."""
    for table_dir in _table_dirs_on_disk(node, keyspaces):
        target = os.path.join(table_dir, "snapshots", tag) if tag else os.path.join(table_dir, "snapshots")
        if os.path.isdir(target):
            _remove_tree(target)


def clear_50(node: Node, tag: str, keyspaces, older_than_ms: int = 0) -> None:
    """5.0: snapshots found by the loader walk, filtered by tag, age and ephemerality
    (TableSnapshot.shouldClearSnapshot)."""
    for snap in load_snapshots(node, keyspaces):
        if snap.ephemeral:
            continue
        if tag and snap.tag != tag:
            continue
        if older_than_ms > 0:
            created = snap.created_at_ms()
            if created is not None and created >= older_than_ms:
                continue
        for directory in snap.dirs:
            _remove_tree(directory)


def _remove_tree(directory: str) -> None:
    import shutil
    shutil.rmtree(directory, ignore_errors=True)


def _table_dirs_on_disk(node: Node, keyspaces) -> list:
    found = []
    for data_dir in node.data_dirs:
        try:
            keyspace_names = os.listdir(data_dir)
        except FileNotFoundError:
            continue
        for keyspace in keyspace_names:
            if keyspaces and keyspace not in keyspaces:
                continue
            ks_dir = os.path.join(data_dir, keyspace)
            if not os.path.isdir(ks_dir):
                continue
            for name in os.listdir(ks_dir):
                if os.path.isdir(os.path.join(ks_dir, name)):
                    found.append(os.path.join(ks_dir, name))
    return found


# --- listing ------------------------------------------------------------------------------------

class TableSnapshot:
    """One tag of one table, possibly spread over several data directories."""

    def __init__(self, keyspace: str, table: str, tag: str):
        self.keyspace, self.table, self.tag = keyspace, table, tag
        self.dirs = []
        self.manifest = None

    def add_dir(self, directory: str) -> None:
        self.dirs.append(directory)
        if self.manifest is None:
            self.manifest = _read_manifest(os.path.join(directory, "manifest.json"))

    @property
    def ephemeral(self) -> bool:
        if self.manifest and self.manifest.get("ephemeral") is True:
            return True
        return any(os.path.exists(os.path.join(d, "ephemeral.snapshot")) for d in self.dirs)

    def created_at_ms(self):
        """created_at from the manifest, else the oldest directory mtime (TableSnapshot)."""
        if self.manifest and self.manifest.get("created_at"):
            return formatting.parse_iso_instant(self.manifest["created_at"])
        times = [int(os.stat(d).st_mtime * 1000) for d in self.dirs if os.path.exists(d)]
        return min(times) if times else None

    def expires_at_ms(self):
        if self.manifest and self.manifest.get("expires_at"):
            return formatting.parse_iso_instant(self.manifest["expires_at"])
        return None

    def size_on_disk(self) -> int:
        return sum(folder_size(d) for d in self.dirs)

    def true_size_41(self) -> int:
        """SnapshotTrueSizeCalculator: every file without a same-named live file, manifest and
        schema included (cassandra-behaviour.md §5.2)."""
        total = 0
        for directory in self.dirs:
            for path, size in _walk_files(directory):
                live = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(path))), os.path.basename(path))
                if not os.path.exists(live):
                    total += size
        return total


def _read_manifest(path: str):
    try:
        with open(path) as f:
            return jsonlite.loads(f.read())
    except (OSError, ValueError):
        return None


def _walk_files(directory: str):
    for root, _, files in os.walk(directory):
        for name in files:
            path = os.path.join(root, name)
            try:
                yield path, os.stat(path).st_size
            except FileNotFoundError:
                pass


def folder_size(directory: str) -> int:
    """FileUtils.folderSize: apparent sizes of every file below `directory`."""
    return sum(size for _, size in _walk_files(directory))


def load_snapshots(node: Node, keyspaces=None) -> list:
    """4.1+ SnapshotLoader: every <ks>/<table>-<id>/snapshots/<tag> in the data directories,
    dropped tables included (cassandra-behaviour.md §5.2)."""
    found = {}
    for table_dir in _table_dirs_on_disk(node, keyspaces):
        snaps_root = os.path.join(table_dir, "snapshots")
        if not os.path.isdir(snaps_root):
            continue
        for tag in sorted(os.listdir(snaps_root)):
            path = os.path.join(snaps_root, tag)
            keyspace = os.path.basename(os.path.dirname(table_dir))
            parsed = parse_table_dir_name(os.path.basename(table_dir))
            if parsed is None or not _is_word(keyspace) or not os.path.isdir(path):
                continue
            key = (keyspace, parsed[0], parsed[1], tag)
            if key not in found:
                found[key] = TableSnapshot(keyspace, parsed[0], tag)
            found[key].add_dir(path)
    return list(found.values())


def sstable_true_size(snapshots_root: str, live_names, version) -> int:
    """Directories.getTrueAllocatedSizeIn over a table's snapshots/: sstable component files
    sitting directly in snapshots/<tag>/ whose name is not a file of the live table directory
    (manifest.json and schema.cql never count) (cassandra-behaviour.md §5.2)."""
    total = 0
    for path, size in _walk_files(snapshots_root):
        tag_dir = os.path.dirname(path)
        if os.path.dirname(tag_dir) != snapshots_root:
            continue
        if version.at_least("5.0") and not _tag_parsable_by_50(os.path.basename(tag_dir)):
            continue
        name = os.path.basename(path)
        if sstable.parse_filename(name) is not None and name not in live_names:
            total += size
    return total


def tag_dir_true_size(tag_dir: str, live_names) -> int:
    """3.11/4.0 SSTableSizeSummer over one snapshot: sstable files directly in it whose name is
    not a file of the live table directory."""
    total = 0
    for name in os.listdir(tag_dir):
        path = os.path.join(tag_dir, name)
        if os.path.isfile(path) and sstable.parse_filename(name) is not None and name not in live_names:
            total += os.stat(path).st_size
    return total


def live_file_names(table_dir: str) -> set:
    try:
        return set(os.listdir(table_dir))
    except FileNotFoundError:
        return set()
