"""nodetool commands about data on disk: flush, snapshot, listsnapshots, clearsnapshot,
enablebackup/disablebackup/statusbackup, refresh, import, drain (cassandra-behaviour.md §3-§7,
§8.5).

Each function mirrors the Java command: what it prints before calling the server, which checks
run on the client and which on the server, and how each failure surfaces (errors.py).
"""

import os

from . import formatting, placement, rows, snapshots, sstable, storage
from .errors import BadUse, Exit, ServerError, client_frames, server_frames
from .node_state import now_millis
from .versions import LOCAL_SYSTEM_KEYSPACES, VIRTUAL_KEYSPACES

IAE = "java.lang.IllegalArgumentException"
RUNTIME = "java.lang.RuntimeException"


# --- helpers ------------------------------------------------------------------------------------

def _parse_optional_keyspace(ctx, args) -> list:
    """NodeToolCmd.parseOptionalKeyspace: one keyspace (or all), checked on the client."""
    keyspaces = ctx.schema.keyspace_names() if not args else [args[0]]
    for keyspace in keyspaces:
        if not ctx.schema.has_keyspace(keyspace):
            raise BadUse(f"Keyspace [{keyspace}] does not exist.")
    return keyspaces


def _valid_keyspace(ctx, keyspace: str, method: str):
    """StorageService.getValidKeyspace: IOException in 3.11, IllegalArgumentException in 4.0+
    (which nodetool reports as bad use) (cassandra-behaviour.md §3.3)."""
    if ctx.version.major == "3.11":
        if not ctx.schema.has_keyspace(keyspace):
            raise ServerError(f"Keyspace {keyspace} does not exist", frames=server_frames(method))
        return
    if keyspace in VIRTUAL_KEYSPACES:
        raise BadUse(f"Cannot perform any operations against virtual keyspace {keyspace}")
    if not ctx.schema.has_keyspace(keyspace):
        raise BadUse(f"Keyspace {keyspace} does not exist")


def _table_or_iae(ctx, keyspace: str, name: str):
    table = ctx.schema.table(keyspace, name)
    if table is None:
        raise BadUse(f"Unknown keyspace/cf pair ({keyspace}.{name})")
    return table


def _java_split(text: str, separator: str) -> list:
    """String.split: trailing empty strings are removed."""
    parts = text.split(separator)
    while len(parts) > 1 and parts[-1] == "":
        parts.pop()
    return parts


_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}
_UNIT_NAMES = ["NANOSECONDS", "MICROSECONDS", "MILLISECONDS", "SECONDS", "MINUTES", "HOURS", "DAYS"]
_UNIT_RANK = {"ns": 0, "us": 1, "µs": 1, "ms": 2, "s": 3, "m": 4, "h": 5, "d": 6}


def parse_duration(text: str, min_unit: str):
    """DurationSpec: (quantity, unit symbol); raises BadUse with Cassandra's message. min_unit
    is 'ns' for LongNanosecondsBound, 's' for the seconds-bound specs."""
    accepted = "[" + ", ".join(_UNIT_NAMES[_UNIT_RANK[min_unit]:]) + "]"
    import re
    match = re.fullmatch(r"(\d+)(d|h|s|ms|us|µs|ns|m)", text)
    if not match:
        raise BadUse(f"Invalid duration: {text} Accepted units:{accepted} where case matters and only "
                     f"non-negative values.")
    quantity, unit = int(match.group(1)), match.group(2)
    if _UNIT_RANK[unit] < _UNIT_RANK[min_unit]:
        raise BadUse(f"Invalid duration: {text} Accepted units:{accepted}")
    return quantity, "us" if unit == "µs" else unit


def _duration_seconds(quantity: int, unit: str) -> int:
    return int(quantity * _UNIT_SECONDS[unit])


# --- flush --------------------------------------------------------------------------------------

def flush(ctx, options, args) -> None:
    keyspaces = _parse_optional_keyspace(ctx, args)
    table_names = args[1:]
    node = ctx.node
    flushed = 0
    for keyspace in keyspaces:
        if table_names:
            tables = []
            for name in table_names:
                table = ctx.schema.table(keyspace, name)
                # server IAE wrapped in "Error occurred during flushing" (cassandra-behaviour.md §6.1)
                if table is None:
                    raise ServerError(f"Unknown keyspace/cf pair ({keyspace}.{name})", IAE,
                                      server_frames("db.Keyspace.getColumnFamilyStore", 220))
                tables.append(table)
        else:
            tables = ctx.schema.tables_of(keyspace)
        flushed += storage.flush_tables(node, tables)
    if flushed:
        node.save_registry()


# --- snapshot -----------------------------------------------------------------------------------

def snapshot(ctx, options, args) -> None:
    """Snapshot.execute (cassandra-behaviour.md §3.2, §3.3)."""
    tag = options.get("tag", str(now_millis()))
    keyspaces = list(args)
    table_option = options.get("table")
    kt_list = options.get("ktlist")
    skip_flush = bool(options.get("skip-flush"))
    snapshot_options = {"skipFlush": "true" if skip_flush else "false"}
    if "ttl" in options:
        quantity, unit = parse_duration(options["ttl"], "ns")
        snapshot_options["ttl"] = f"{quantity}{unit}"
    separator = ctx.version.tag_separator
    if tag and separator and separator in tag:
        raise ServerError(f"Snapshot name cannot contain {separator}", frames=client_frames("Snapshot"))
    with_tag = f" with snapshot name [{tag}]" if tag else ""
    options_text = "{" + ", ".join(f"{k}={v}" for k, v in snapshot_options.items()) + "}"
    if kt_list:
        kt_list = kt_list.replace(" ", "")
        if keyspaces or table_option is not None:
            raise ServerError(_kt_conflict_message(ctx.version), frames=client_frames("Snapshot"))
        ctx.println(f"Requested creating snapshot(s) for [{kt_list}]{with_tag} and options {options_text}")
        entities = _java_split(kt_list, ",")
    else:
        target = "[all keyspaces]" if not keyspaces else "[" + ", ".join(keyspaces) + "]"
        ctx.println(f"Requested creating snapshot(s) for {target}{with_tag} and options {options_text}")
        if table_option is not None:
            if len(keyspaces) != 1:
                raise ServerError("When specifying the table for a snapshot, you must specify one and only one keyspace",
                                  frames=server_frames("tools.NodeProbe.takeSnapshot", 797))
            entities = [f"{keyspaces[0]}.{table_option}"]
        else:
            entities = keyspaces
    _take_snapshot(ctx, tag, skip_flush, snapshot_options.get("ttl"), entities)
    ctx.println(f"Snapshot directory: {tag}")


def _kt_conflict_message(version) -> str:
    if version.major == "3.11":
        return "When specifying the Keyspace columfamily list for a snapshot, you should not specify columnfamily"
    return ("When specifying the Keyspace table list (using -kt,--kt-list,-kc,--kc.list), you must not also "
            "specify keyspaces to snapshot")


def _take_snapshot(ctx, tag: str, skip_flush: bool, ttl, entities) -> None:
    """StorageService.takeSnapshot: validate everything, then flush and link table by table."""
    ttl_seconds = None
    if ttl is not None:  # the server re-parses the ttl as seconds (DurationSpec.IntSecondsBound)
        quantity, unit = parse_duration(ttl, "s")
        ttl_seconds = _duration_seconds(quantity, unit)
        if ttl_seconds < 60:
            raise BadUse("ttl for snapshot must be at least 60 seconds")
    if entities and "." in entities[0]:
        tables = _multiple_table_targets(ctx, tag, entities)
    else:
        tables = _keyspace_targets(ctx, tag, entities)
    node = ctx.node
    created = now_millis()
    if not skip_flush:  # one pass over the commit log for every table to flush
        storage.flush_tables(node, tables)
    for table in tables:
        snapshots.take_table_snapshot(node, table, tag, created, ttl_seconds)
    node.save_registry()


def _keyspace_targets(ctx, tag: str, keyspaces) -> list:
    method = "service.StorageService.takeSnapshot"
    if not tag:
        raise ServerError("You must supply a snapshot name.", frames=server_frames(method))
    names = keyspaces or ctx.schema.keyspace_names()
    for keyspace in keyspaces:
        _valid_keyspace(ctx, keyspace, method)
    tables = [t for keyspace in names for t in ctx.schema.tables_of(keyspace)]
    for table in tables:
        if snapshots.exists(ctx.node, table, tag):
            raise ServerError(f"Snapshot {tag} already exists.", frames=server_frames(method))
    return tables


def _multiple_table_targets(ctx, tag: str, entities) -> list:
    method = "service.StorageService.takeMultipleTableSnapshot"
    tables = []
    for entity in entities:
        parts = [p for p in entity.split(".") if p]  # StringUtils.split drops empty tokens
        if len(parts) != 2:
            raise BadUse("Cannot take a snapshot on secondary index or invalid column family name. You must "
                         "supply a column family name in the form of keyspace.columnfamily")
        if not tag:
            raise ServerError("You must supply a snapshot name.", frames=server_frames(method))
        keyspace, name = parts
        _valid_keyspace(ctx, keyspace, method)
        table = _table_or_iae(ctx, keyspace, name)
        if snapshots.exists(ctx.node, table, tag):
            raise ServerError(f"Snapshot {tag} already exists.", frames=server_frames(method))
        if table not in tables:
            tables.append(table)
    return tables


# --- listsnapshots ------------------------------------------------------------------------------

def listsnapshots(ctx, options, args) -> None:
    """ListSnapshots (cassandra-behaviour.md §5): a TableBuilder table, then the total true
    size."""
    ctx.println("Snapshot Details: ")
    if ctx.version.at_least("4.1"):
        header, details = _snapshot_details_41(ctx, options)
    else:
        header, details = _snapshot_details_311(ctx)
    if not details:
        ctx.println("There are no snapshots")
        return
    for line in formatting.table_lines([header] + details):
        ctx.println(line)
    ctx.println(f"\nTotal TrueDiskSpaceUsed: {formatting.stringify_file_size(_true_snapshots_size(ctx))}\n")


def _snapshot_details_311(ctx):
    """3.11/4.0: snapshots of live tables only; 3.11 also skips system and system_schema."""
    header = ["Snapshot name", "Keyspace name", "Column family name", "True size", "Size on disk"]
    per_tag = {}
    for table in ctx.schema.tables:
        if ctx.version.major == "3.11" and table.keyspace in LOCAL_SYSTEM_KEYSPACES:
            continue
        sizes = {}
        for table_dir in ctx.node.table_dirs(table):
            root = os.path.join(table_dir, "snapshots")
            if not os.path.isdir(root):
                continue
            live_names = snapshots.live_file_names(table_dir)
            for tag in sorted(os.listdir(root)):
                tag_dir = os.path.join(root, tag)
                if not os.path.isdir(tag_dir):
                    continue
                on_disk, true = sizes.get(tag, (0, 0))
                sizes[tag] = (on_disk + snapshots.folder_size(tag_dir),
                              true + snapshots.tag_dir_true_size(tag_dir, live_names))
        for tag, (on_disk, true) in sizes.items():
            per_tag.setdefault(tag, []).append([tag, table.keyspace, table.name,
                                                formatting.stringify_file_size(true),
                                                formatting.stringify_file_size(on_disk)])
    return header, [row for tag in sorted(per_tag) for row in per_tag[tag]]


def _snapshot_details_41(ctx, options):
    """4.1+: every snapshot directory on disk, dropped tables included; 5.0 hides ephemeral
    snapshots unless -e and then shows an Ephemeral column."""
    header = ["Snapshot name", "Keyspace name", "Column family name", "True size", "Size on disk",
              "Creation time", "Expiration time"]
    with_ephemeral = bool(options.get("ephemeral"))
    if with_ephemeral:
        header.append("Ephemeral")
    details = []
    for snap in sorted(snapshots.load_snapshots(ctx.node), key=lambda s: (s.tag, s.keyspace, s.table)):
        expires = snap.expires_at_ms()
        if options.get("no_ttl") and expires is not None:
            continue
        if ctx.version.at_least("5.0") and snap.ephemeral and not with_ephemeral:
            continue
        created = snap.created_at_ms()
        row = [snap.tag, snap.keyspace, snap.table, formatting.stringify_file_size(snap.true_size_41()),
               formatting.stringify_file_size(snap.size_on_disk()),
               formatting.iso_instant(created) if created is not None else None,
               formatting.iso_instant(expires) if expires is not None else None]
        if with_ephemeral:
            row.append("true" if snap.ephemeral else "false")
        details.append(row)
    return header, details


def _true_snapshots_size(ctx) -> int:
    """StorageService.trueSnapshotsSize: sstable files only, live tables of every keyspace but
    system and system_schema (cassandra-behaviour.md §5.2)."""
    total = 0
    for table in ctx.schema.tables:
        if table.keyspace in LOCAL_SYSTEM_KEYSPACES:
            continue
        for table_dir in ctx.node.table_dirs(table):
            root = os.path.join(table_dir, "snapshots")
            if os.path.isdir(root):
                total += snapshots.sstable_true_size(root, snapshots.live_file_names(table_dir), ctx.version)
    return total


# --- clearsnapshot ------------------------------------------------------------------------------

def clearsnapshot(ctx, options, args) -> None:
    """ClearSnapshot (cassandra-behaviour.md §4): 3.11 clears everything without -t; 4.0+ want
    -t or --all."""
    tag = options.get("snapshot_name", "")
    keyspaces = list(args)
    target = "[all keyspaces]" if not keyspaces else "[" + ", ".join(keyspaces) + "]"
    if ctx.version.major == "3.11":
        ctx.println(f"Requested clearing snapshot(s) for {target}" + (f" with snapshot name [{tag}]" if tag else ""))
        snapshots.clear_by_path(ctx.node, tag, keyspaces)
        return
    clear_all = bool(options.get("clear_all_snapshots"))
    if ctx.version.at_least("5.0"):
        older_than_ms, suffix = _clear_checks_50(tag, clear_all, options)
    else:
        _clear_checks_40(tag, clear_all)
        older_than_ms, suffix = 0, ""
    which = " with [all snapshots]" if not tag else f" with snapshot name [{tag}]"
    ctx.println(f"Requested clearing snapshot(s) for {target}{which}{suffix}")
    if ctx.version.at_least("5.0"):
        snapshots.clear_50(ctx.node, tag, keyspaces, older_than_ms)
    else:
        snapshots.clear_by_path(ctx.node, tag, keyspaces)


def _clear_checks_40(tag: str, clear_all: bool) -> None:
    """4.0/4.1 throw RuntimeException: stderr, exit 2."""
    if not tag and not clear_all:
        raise ServerError("Specify snapshot name or --all", RUNTIME, client_frames("ClearSnapshot"))
    if tag and clear_all:
        raise ServerError("Specify only one of snapshot name or --all", RUNTIME, client_frames("ClearSnapshot"))


def _clear_checks_50(tag: str, clear_all: bool, options):
    """5.0 throws IllegalArgumentException: stdout, exit 1. Returns (threshold ms, suffix)."""
    older_than = options.get("older_than")
    older_than_timestamp = options.get("older_than_timestamp")
    if not tag and not clear_all:
        raise BadUse("Specify snapshot name or --all")
    if tag and clear_all:
        raise BadUse("Specify only one of snapshot name or --all")
    if older_than is not None and older_than_timestamp is not None:
        raise BadUse("Specify only one of --older-than or --older-than-timestamp")
    if tag and older_than is not None:
        raise BadUse("Specifying snapshot name together with --older-than flag is not allowed")
    if tag and older_than_timestamp is not None:
        raise BadUse("Specifying snapshot name together with --older-than-timestamp flag is not allowed")
    if older_than_timestamp is not None:
        threshold = formatting.parse_iso_instant(older_than_timestamp)
        if threshold is None:
            raise BadUse("Parameter --older-than-timestamp has to be a valid instant in ISO format.")
        return threshold, f" older than timestamp {older_than_timestamp}"
    if older_than is not None:
        quantity, unit = parse_duration(older_than, "s")
        seconds = _duration_seconds(quantity, unit)
        return now_millis() - seconds * 1000, f" older than {seconds} seconds."
    return 0, ""


# --- incremental backups ------------------------------------------------------------------------

def enablebackup(ctx, options, args) -> None:
    _set_backups(ctx, True)


def disablebackup(ctx, options, args) -> None:
    _set_backups(ctx, False)


def _set_backups(ctx, enabled: bool) -> None:
    """Runtime only: cassandra.yaml is untouched and a restart reverts it
    (cassandra-behaviour.md §7)."""
    ctx.node.state["incremental_backups"] = enabled
    ctx.node.save_state()


def statusbackup(ctx, options, args) -> None:
    ctx.println("running" if ctx.node.incremental_backups else "not running")


# --- drain --------------------------------------------------------------------------------------

def drain(ctx, options, args) -> None:
    """Flush everything and stop serving (gossip and native transport off,
    cassandra-behaviour.md §8.5); a second drain changes nothing and still exits 0."""
    node = ctx.node
    if node.state.get("drained"):
        return
    storage.flush_tables(node, ctx.schema.tables)
    node.save_registry()
    node.state["drained"] = True
    node.mark_gossip_stopped("shutdown")
    node.save_state()


# --- refresh ------------------------------------------------------------------------------------

def refresh(ctx, options, args) -> None:
    """Refresh (cassandra-behaviour.md §6.2): sstables lying in the table directories that are
    not live get the next free generations, level 0 (repairedAt kept) and go live. 3.11
    (ColumnFamilyStore.loadNewSSTables) refuses an incompatible version loudly; 4.0+ run the
    importer, whose lister skips what the node cannot read."""
    if ctx.version.at_least("4.0"):
        ctx.println("nodetool refresh is deprecated, use nodetool import instead")
    if len(args) != 2:
        raise BadUse("refresh requires ks and cf args")
    keyspace, name = args
    if ctx.version.major == "3.11":
        if not ctx.schema.has_keyspace(keyspace):  # Keyspace.open's assertion (-ea is on)
            raise ServerError(f"Unknown keyspace {keyspace}", "java.lang.AssertionError",
                              server_frames("db.Keyspace.<init>", 316))
    else:
        _valid_keyspace(ctx, keyspace, "service.StorageService.loadNewSSTables")
    table = _table_or_iae(ctx, keyspace, name)
    node = ctx.node
    found = storage.unloaded_sstables(node, table)
    for directory, prefix, _ in found:
        _check_compatible(node, directory, prefix)
    for directory, prefix, files in found:
        storage.adopt(node, table, directory, prefix, files, reset_level=True, clear_repaired=False)
    node.save_registry()


def _check_compatible(node, directory: str, prefix: str) -> None:
    descriptor = sstable.parse_prefix(prefix)
    if not node.can_read(descriptor):  # only 3.11 lists sstables it cannot read
        current = node.sstable_format[0]
        raise ServerError(f"Can't open incompatible SSTable! Current version {current}, found file: "
                          f"{os.path.join(directory, prefix)}", RUNTIME,
                          server_frames("db.ColumnFamilyStore.loadNewSSTables", 762))


# --- import -------------------------------------------------------------------------------------

def import_sstables(ctx, options, args) -> None:
    """Import / SSTableImporter (cassandra-behaviour.md §6.3-§6.6): list each source directory,
    verify what was listed, then move (or hard-link with -p) its sstables in under new ids.
    What the lister skips is skipped silently (exit 0); failed directories are listed on
    stderr, exit 1."""
    if len(args) < 3:
        raise BadUse("import requires keyspace, table name and directories")
    verify = not options.get("no_verify_sstables")
    verify_tokens = not options.get("no_verify_tokens")
    if options.get("quick"):
        ctx.println("Doing a quick import - skipping sstable verification and row cache invalidation")
        verify = verify_tokens = False
    keyspace, name = args[0], args[1]
    sources = list(dict.fromkeys(args[2:]))
    table = ctx.schema.table(keyspace, name)
    if table is None:  # NodeProbe.getCfsProxy finds no MBean
        raise Exit(1, stderr=f"ColumnFamilyStore for {keyspace}/{name} not found.\n")
    for source in sources:
        if not os.path.exists(source):
            raise ServerError(f"Directory {source} does not exist", RUNTIME,
                              server_frames("db.SSTableImporter.getSSTableListers", 220))
    node = ctx.node
    live = {(d, p) for d, p, _ in storage.live_sstables(node, table)}
    listed = {source: _listed(node, table, source, live) for source in sources}
    failed = []
    if verify or verify_tokens:
        owned = _owned_ranges(ctx, table) if verify_tokens else None
        failed = [s for s in sources if not _directory_verifies(table, s, listed[s], owned)]
    for source in sources:
        if source not in failed and not _import_directory(node, table, source, listed[source], options):
            failed.append(source)
    node.save_registry()
    if failed:
        raise Exit(1, stderr="Some directories failed to import, check server logs for details:\n" +
                   "".join(f"{d}\n" for d in failed))


def _listed(node, table, source: str, live) -> list:
    """[(prefix, files)] the importer's lister finds in `source`: the node must be able to read
    them (cassandra-behaviour.md §6.6 b, c), releases before CASSANDRA-19401 want the
    directories to name the table (§6.5), and live sstables are left alone (§6.6 d). The rest
    is skipped without a word."""
    directory = os.path.abspath(source)
    if node.version.import_takes_table_from_path and table_from_path(directory) != (table.keyspace, table.name):
        return []
    found = sstable.list_sstables(source)
    return [(prefix, sorted(files)) for prefix, files in sorted(found.items(), key=lambda i: storage.id_order(i[0]))
            if (directory, prefix) not in live and storage.listed_by_node(node, sstable.parse_prefix(prefix))]


def table_from_path(directory: str) -> tuple:
    """(keyspace, table) that Descriptor.fromFilenameWithComponent (4.0.12, 4.1.4) derives from
    the directory of an sstable: `.../<ks>/<table>[-<id>]`, or the `backups/` and
    `snapshots/<tag>/` directories of such a table dir, whose name must then contain a '-'.
    A leading `.<index>` directory is a secondary index of its parent."""
    parent, base = os.path.dirname, os.path.basename
    table_dir, index = directory, ""
    if base(table_dir).startswith("."):
        index, table_dir = base(table_dir), parent(table_dir)
    if base(table_dir) == "backups" and "-" in base(parent(table_dir)):
        table_dir = parent(table_dir)
    elif base(parent(table_dir)) == "snapshots" and "-" in base(parent(parent(table_dir))):
        table_dir = parent(parent(table_dir))
    return base(parent(table_dir)), base(table_dir).split("-")[0] + index


def _owned_ranges(ctx, table):
    ring = placement.TokenRing(ctx.ring.nodes)
    return ring.owned_ranges(ctx.node.name, ctx.schema.replication(table.keyspace))


def _directory_verifies(table, source: str, listed, owned) -> bool:
    """Verifier: every listed sstable opens and (unless -t) every partition is owned by this
    node. The first failure fails the whole directory."""
    for prefix, files in listed:
        if prefix + "-Data.db" not in files:
            return False
        try:
            fragments = sstable.read_fragments(os.path.join(source, prefix + "-Data.db"))
        except (sstable.CorruptSSTable, OSError):
            return False
        if owned is not None:
            for fragment in fragments:
                token = rows.partition_token(table.partition_key_types, fragment["k"])
                if not placement.token_in_ranges(token, owned):
                    return False
    return True


def _import_directory(node, table, source: str, listed, options) -> bool:
    """The move pass of one directory; False (nothing of it moved) when an sstable cannot be
    opened for want of its Data.db."""
    if any(prefix + "-Data.db" not in files for prefix, files in listed):
        return False
    for prefix, files in listed:
        storage.adopt(node, table, os.path.abspath(source), prefix, files, copy=bool(options.get("copy_data")),
                      dir_index=0, reset_level=not options.get("keep_level"),
                      clear_repaired=not options.get("keep_repaired"))
    return True
