"""A node's storage engine in miniature: flushing memtables to sstables, the live sstable set,
incremental backups, adopting foreign sstables (refresh, import, streaming), truncate and drop.

All functions expect the caller to hold the node lock (Node.lock()) and to call
node.save_registry() when done; they change node.registry in memory.
"""

import os

from . import memtable, rows, snapshots, sstable
from .node_state import Node, now_micros


# --- ids and the live set -----------------------------------------------------------------------

def new_descriptor(node: Node, table):
    """(Descriptor, data dir index) for a new sstable of `table` in the node's own format: the
    next generation, or a new time-based id with uuid_sstable_identifiers_enabled
    (cassandra-behaviour.md §10.2, §15). Data directories are used in turn. 3.11 and 4.0 take
    the next generation even if its files exist (write() then overwrites them); 4.1+ move on to
    a free one."""
    entry = node.table_entry(table)
    version, fmt = node.sstable_format
    dirs = node.table_dirs(table)
    if node.uuid_sstable_ids:
        index = len(entry["live"]) % len(dirs)
        return sstable.Descriptor(version, sstable.next_uuid_id(now_micros(), node.state["uuid_lsb"]), fmt), index
    generation = entry["gen"] + 1
    while True:
        index = (generation - 1) % len(dirs)
        descriptor = sstable.Descriptor(version, generation, fmt)
        if not node.version.flush_skips_existing_files or \
                not os.path.exists(os.path.join(dirs[index], descriptor.filename("Data.db"))):
            entry["gen"] = generation
            return descriptor, index
        generation += 1


def live_sstables(node: Node, table) -> list:
    """[(table dir, prefix, size)] of the live sstables, oldest first."""
    dirs = node.table_dirs(table)
    return [(dirs[index], prefix, size) for index, prefix, size in node.table_entry(table)["live"]]


def live_files(node: Node, table) -> list:
    """[(table dir, prefix, [component files])] of the live sstables, as they are on disk."""
    listings = {}
    result = []
    for directory, prefix, _ in live_sstables(node, table):
        if directory not in listings:
            listings[directory] = sstable.list_sstables(directory)
        files = sorted(listings[directory].get(prefix, []))
        if files:  # deleted behind the node's back: nothing left to link
            result.append((directory, prefix, files))
    return result


def _register(node: Node, table, dir_index: int, descriptor, files, backup: bool = True, size: int = None) -> int:
    """Make an sstable live (Tracker.addSSTables / replaceFlushed); returns its size."""
    directory = node.table_dirs(table)[dir_index]
    if size is None:
        size = sstable.files_size(directory, files)
    node.table_entry(table)["live"].append([dir_index, descriptor.prefix, size])
    if backup:
        _maybe_backup(node, table, directory, files)
    return size


def _maybe_backup(node: Node, table, directory: str, files) -> None:
    """Tracker.maybeIncrementallyBackup: hard-link every component into backups/ when the
    runtime flag is on (and, on 5.0, the table option too) (cassandra-behaviour.md §12)."""
    if not node.incremental_backups:
        return
    if node.version.at_least("5.0") and not table.incremental_backups_allowed():
        return
    sstable.link_files(directory, os.path.join(directory, "backups"), files)


def ensure_table_dirs(node: Node, table) -> None:
    for directory in node.table_dirs(table):
        os.makedirs(directory, exist_ok=True)


# --- writing ------------------------------------------------------------------------------------

def write_sstable(node: Node, table, fragments, data_size: int = 0, backup: bool = True):
    """A new live sstable holding `fragments` (flush, streaming, seeding); None when empty.
    Data.db is padded to `data_size` with a sparse tail; `backup=False` for pre-existing data."""
    if not fragments:
        return None
    key_types = table.partition_key_types
    tokens = {}
    for fragment in fragments:
        key = tuple(fragment["k"])
        if key not in tokens:
            tokens[key] = rows.partition_token(key_types, fragment["k"])
    ordered = sorted(fragments, key=lambda f: (tokens[tuple(f["k"])], rows.sort_key(f["k"]),
                                               f.get("c") is not None, rows.sort_key(f.get("c") or [])))
    descriptor, index = new_descriptor(node, table)
    directory = node.table_dirs(table)[index]
    if not os.path.isdir(directory):
        ensure_table_dirs(node, table)
    size = sstable.write(directory, descriptor, ordered, data_size=data_size, chunk_kb=node.version.compression_chunk_kb,
                         min_token=min(tokens.values()), max_token=max(tokens.values()))
    _register(node, table, index, descriptor, [descriptor.filename(c) for c in descriptor.components], backup, size)
    return descriptor


def _write_memtable(node: Node, table, pending):
    """One memtable's writes -> one new sstable (+ backups links); None when there are none."""
    if not pending:
        return None
    return write_sstable(node, table, rows.to_fragments(rows.merge(pending)))


def flush_table(node: Node, table):
    """Flush one table: its sstable is written, then its commit log records go."""
    descriptor = _write_memtable(node, table, memtable.read(node, table))
    if descriptor is not None:
        memtable.discard(node, [memtable.key(table)])
    return descriptor


def flush_tables(node: Node, tables) -> int:
    """Flush every non-empty memtable among `tables` (one pass over the commit log); returns
    how many sstables were written."""
    pending = memtable.read_all(node)
    flushed = [t for t in tables if _write_memtable(node, t, pending.get(memtable.key(t))) is not None]
    memtable.discard(node, [memtable.key(t) for t in flushed])
    return len(flushed)


def read_fragments(node: Node, table) -> list:
    """Everything the node holds for `table`: live sstables plus memtable."""
    fragments = []
    for directory, prefix, _ in live_sstables(node, table):
        path = os.path.join(directory, prefix + "-Data.db")
        if os.path.exists(path):
            fragments += sstable.read_fragments(path)
    return fragments + memtable.read(node, table)


# --- adopting sstables from elsewhere -------------------------------------------------------------

def listed_by_node(node: Node, descriptor) -> bool:
    """Whether the node's sstable lister (Directories.SSTableLister) sees a file name at all.
    It skips names Descriptor cannot parse without a word: an unknown format (`bti` before 5.0),
    an id it cannot parse (UUID ids on 4.0 and 3.11), and on 4.0+ a version it cannot read
    (cassandra-behaviour.md §6.6). 3.11 parses any BIG version; its refresh then refuses the
    incompatible ones loudly."""
    if node.version.major == "3.11":
        return node.version.knows_format(descriptor.format) and node.version.can_read_sstable_id(descriptor.id)
    return node.can_read(descriptor)


def unloaded_sstables(node: Node, table) -> list:
    """[(table dir, prefix, files)] of complete sstables sitting in the table directories that
    are not live and that the node lists: what `nodetool refresh` picks up
    (cassandra-behaviour.md §6.2)."""
    live = {(d, p) for d, p, _ in live_sstables(node, table)}
    found = []
    for directory in node.table_dirs(table):
        for prefix, files in sorted(sstable.list_sstables(directory).items(), key=lambda i: id_order(i[0])):
            if (directory, prefix) not in live and prefix + "-Data.db" in files and \
                    listed_by_node(node, sstable.parse_prefix(prefix)):
                found.append((directory, prefix, sorted(files)))
    return found


def id_order(prefix: str):
    """Sequence ids in number order, then UUID ids (which sort by time)."""
    descriptor = sstable.parse_prefix(prefix)
    return (0, descriptor.generation, "") if descriptor.generation is not None else (1, 0, descriptor.id)


def adopt(node: Node, table, src_dir: str, prefix: str, files, copy: bool = False, dir_index: int = None,
          reset_level: bool = True, clear_repaired: bool = False):
    """Rename (or hard-link, with `copy`) a foreign sstable into the table under a new unique id,
    keeping its format version, and make it live (refresh, import: cfs.getUniqueDescriptorFor).
    First the source's Statistics.db is rewritten as asked (level 0, unrepaired)."""
    old = sstable.parse_prefix(prefix)
    dirs = node.table_dirs(table)
    if dir_index is None:
        dir_index = dirs.index(src_dir) if src_dir in dirs else 0
    entry = node.table_entry(table)
    if node.uuid_sstable_ids:
        new = sstable.Descriptor(old.version, sstable.next_uuid_id(now_micros(), node.state["uuid_lsb"]), old.format)
    else:
        generation = entry["gen"] + 1
        while os.path.exists(os.path.join(dirs[dir_index], f"{old.version}-{generation}-{old.format}-Data.db")):
            generation += 1
        entry["gen"] = generation
        new = sstable.Descriptor(old.version, generation, old.format)
    os.makedirs(dirs[dir_index], exist_ok=True)
    _mutate_metadata(src_dir, old, files, reset_level, clear_repaired)
    moved = sstable.move_sstable(src_dir, files, old, dirs[dir_index], new, copy=copy)
    _register(node, table, dir_index, new, moved)
    return new


def _mutate_metadata(directory: str, descriptor, files, reset_level: bool, clear_repaired: bool) -> None:
    """SSTableImporter.maybeMutateMetadata / 3.11 loadNewSSTables: each change is its own
    rewrite of the source's Statistics.db (mutateLevel, then mutateRepairMetadata)."""
    stats = descriptor.filename("Statistics.db")
    if stats not in files:
        return
    path = os.path.join(directory, stats)
    if reset_level:
        sstable.rewrite_stats(path, level=0)
    if clear_repaired:
        sstable.rewrite_stats(path, repaired_at=0)


# --- truncate and drop ------------------------------------------------------------------------------

def _discard_live(node: Node, table) -> None:
    for directory, prefix, files in live_files(node, table):
        for name in files:
            try:
                os.unlink(os.path.join(directory, name))
            except FileNotFoundError:
                pass
    node.table_entry(table)["live"] = []
    memtable.discard(node, [memtable.key(table)])


def _auto_snapshot(node: Node, table) -> bool:
    """auto_snapshot in cassandra.yaml and, on 5.0, the table option allow_auto_snapshot."""
    if node.version.at_least("5.0") and str(table.options.get("allow_auto_snapshot", "true")).lower() == "false":
        return False
    return node.auto_snapshot


def truncate(node: Node, table, millis: int) -> None:
    """TRUNCATE (ColumnFamilyStore.truncateBlocking): with auto_snapshot, flush and snapshot
    `truncated-<millis>-<table>`, else just dump the memtable; then drop every live sstable and
    the table's commit log records (cassandra-behaviour.md §3.5, §17.2). backups/ is left
    alone."""
    if _auto_snapshot(node, table):
        flush_table(node, table)
        snapshots.take_table_snapshot(node, table, f"truncated-{millis}-{table.name}", millis)
    _discard_live(node, table)


def drop(node: Node, table, millis: int) -> None:
    """DROP TABLE / KEYSPACE: like truncate with a `dropped-` snapshot; the directory stays
    (with its snapshots/ and backups/) and the table leaves the live set."""
    if _auto_snapshot(node, table):
        flush_table(node, table)
        snapshots.take_table_snapshot(node, table, f"dropped-{millis}-{table.name}", millis)
    _discard_live(node, table)
    node.registry["tables"].pop(f"{table.keyspace}/{table.dir_name}", None)


# --- start-up ------------------------------------------------------------------------------------

def scan_live_sets(node: Node, tables) -> None:
    """What Cassandra does at start: every complete sstable found in a table directory is live
    (unless the node cannot read it: a real node would refuse to start), and the generation counter resumes after the highest generation found in the table
    directories and their backups/ (cassandra-behaviour.md §10.2,
    includeBackups(true))."""
    node.registry["tables"] = {}
    for table in tables:
        ensure_table_dirs(node, table)
        entry = node.table_entry(table)
        highest = 0
        for index, directory in enumerate(node.table_dirs(table)):
            found = sstable.list_sstables(directory)
            for prefix in sorted(found, key=id_order):
                if prefix + "-Data.db" in found[prefix] and node.can_read(sstable.parse_prefix(prefix)):
                    entry["live"].append([index, prefix, sstable.files_size(directory, found[prefix])])
            backups = sstable.list_sstables(os.path.join(directory, "backups"))
            for prefix in list(found) + list(backups):
                generation = sstable.parse_prefix(prefix).generation
                if generation is not None:
                    highest = max(highest, generation)
        entry["gen"] = highest
