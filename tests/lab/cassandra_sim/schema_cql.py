"""schema.cql of a snapshot, in each version's style (cassandra-behaviour.md §11.3).

3.11 (ColumnFamilyStoreCQLHelper): tab indents, the column list closed on the last column's line,
options in a fixed order with HashMap-ordered maps `{ 'k': 'v' }`.
4.0+ (TableMetadata.appendCqlTo): four-space indents, `) WITH` on its own line, options in
alphabetical order with sorted maps `{'k': 'v'}`; 4.1 adds memtable, 5.0 allow_auto_snapshot
and incremental_backups. Every statement is println()ed, so the file ends with a newline.
"""

COMPACTION_CLASS = "org.apache.cassandra.db.compaction.SizeTieredCompactionStrategy"
COMPRESSION_CLASS = "org.apache.cassandra.io.compress.LZ4Compressor"


def quote_identifier(name: str) -> str:
    """ColumnIdentifier.maybeQuote (reserved words are not modelled)."""
    plain = name[:1].isascii() and name[:1].islower() and \
        all(c.isascii() and (c.islower() or c.isdigit() or c == "_") for c in name)
    return name if plain else '"' + name.replace('"', '""') + '"'


def _quote(value) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _option_map(table, name: str, default: dict) -> dict:
    merged = dict(default)
    given = table.options.get(name)
    if isinstance(given, dict):
        for key, value in given.items():
            if key == "class" and "." not in str(value):
                package = "db.compaction" if name == "compaction" else "io.compress"
                value = f"org.apache.cassandra.{package}.{value}"
            merged[key] = str(value)
    return merged


def _scalar_option(table, name: str, default):
    value = table.options.get(name, default)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def render(table, version) -> str:
    if version.major == "3.11":
        return _render_311(table) + "\n"
    return _render_40(table, version) + "\n"


# --- 3.11 ---------------------------------------------------------------------------------------

def _map_311(mapping: dict) -> str:
    return "{ " + ", ".join(f"{_quote(k)}: {_quote(v)}" for k, v in mapping.items()) + " }"


def _render_311(table) -> str:
    name = f"{quote_identifier(table.keyspace)}.{quote_identifier(table.name)}"
    single_key = len(table.partition_key) == 1 and not table.clustering
    columns = []
    for column in table.partition_key:
        columns.append(f"{quote_identifier(column)} {table.types[column]}" + (" PRIMARY KEY" if single_key else ""))
    for column in table.clustering_names + table.regular_columns:
        columns.append(f"{quote_identifier(column)} {table.types[column]}")
    text = "CREATE TABLE IF NOT EXISTS " + name + " (\n\t" + ",\n\t".join(columns)
    if not single_key:
        text += ",\n\tPRIMARY KEY (" + _primary_key(table) + ")"
    text += ")\n\tWITH ID = " + table.dashed_id + "\n\tAND "
    if table.clustering:
        order = ", ".join(f"{quote_identifier(c)} {o}" for c, o in table.clustering)
        text += f"CLUSTERING ORDER BY ({order})\n\tAND "
    # HashMap iteration orders of the 3.11 parameter maps, as in the example of
    # cassandra-behaviour.md §11.3.
    caching = _option_map(table, "caching", {"keys": "ALL", "rows_per_partition": "NONE"})
    compaction = _option_map(table, "compaction", {"max_threshold": "32", "min_threshold": "4",
                                                   "class": COMPACTION_CLASS})
    compression = _option_map(table, "compression", {"chunk_length_in_kb": "64", "class": COMPRESSION_CLASS})
    options = [
        f"bloom_filter_fp_chance = {_scalar_option(table, 'bloom_filter_fp_chance', '0.01')}",
        f"dclocal_read_repair_chance = {_scalar_option(table, 'dclocal_read_repair_chance', '0.1')}",
        f"crc_check_chance = {_scalar_option(table, 'crc_check_chance', '1.0')}",
        f"default_time_to_live = {_scalar_option(table, 'default_time_to_live', 0)}",
        f"gc_grace_seconds = {_scalar_option(table, 'gc_grace_seconds', 864000)}",
        f"min_index_interval = {_scalar_option(table, 'min_index_interval', 128)}",
        f"max_index_interval = {_scalar_option(table, 'max_index_interval', 2048)}",
        f"memtable_flush_period_in_ms = {_scalar_option(table, 'memtable_flush_period_in_ms', 0)}",
        f"read_repair_chance = {_scalar_option(table, 'read_repair_chance', '0.0')}",
        f"speculative_retry = {_quote(_scalar_option(table, 'speculative_retry', '99PERCENTILE'))}",
        f"comment = {_quote(_scalar_option(table, 'comment', ''))}",
        f"caching = {_map_311(caching)}",
        f"compaction = {_map_311(compaction)}",
        f"compression = {_map_311(compression)}",
        f"cdc = {_scalar_option(table, 'cdc', 'false')}",
        "extensions = {  }",
    ]
    return text + "\n\tAND ".join(options) + ";"


def _primary_key(table) -> str:
    if len(table.partition_key) > 1:
        key = "(" + ", ".join(quote_identifier(c) for c in table.partition_key) + ")"
    else:
        key = quote_identifier(table.partition_key[0])
    for column in table.clustering_names:
        key += ", " + quote_identifier(column)
    return key


# --- 4.0, 4.1, 5.0 ------------------------------------------------------------------------------

def _map_40(mapping: dict) -> str:
    return "{" + ", ".join(f"{_quote(k)}: {_quote(v)}" for k, v in sorted(mapping.items())) + "}"


def _render_40(table, version) -> str:
    name = f"{quote_identifier(table.keyspace)}.{quote_identifier(table.name)}"
    single_key = len(table.partition_key) == 1 and not table.clustering
    lines = [f"CREATE TABLE IF NOT EXISTS {name} ("]
    columns = table.partition_key + table.clustering_names + table.regular_columns
    for index, column in enumerate(columns):
        line = f"    {quote_identifier(column)} {table.types[column]}"
        if single_key and column in table.partition_key:
            line += " PRIMARY KEY"
        if not single_key or index < len(columns) - 1:
            line += ","
        lines.append(line)
    if not single_key:
        lines.append(f"    PRIMARY KEY ({_primary_key(table)})")
    options = [f"ID = {table.dashed_id}"]
    if table.clustering:
        order = ", ".join(f"{quote_identifier(c)} {o}" for c, o in table.clustering)
        options.append(f"CLUSTERING ORDER BY ({order})")
    options += _table_params_40(table, version)
    lines.append(") WITH " + options[0])
    lines += [f"    AND {option}" for option in options[1:]]
    return "\n".join(lines) + ";"


def _table_params_40(table, version) -> list:
    """TableParams.appendCqlTo, alphabetical except memtable (cassandra-behaviour.md §11.3)."""
    chunk = "16"
    caching = _option_map(table, "caching", {"keys": "ALL", "rows_per_partition": "NONE"})
    compaction = _option_map(table, "compaction", {"class": COMPACTION_CLASS, "max_threshold": "32",
                                                   "min_threshold": "4"})
    compression = _option_map(table, "compression", {"chunk_length_in_kb": chunk, "class": COMPRESSION_CLASS})
    params = [f"additional_write_policy = {_quote(_scalar_option(table, 'additional_write_policy', '99p'))}"]
    if version.at_least("5.0"):
        params.append(f"allow_auto_snapshot = {_scalar_option(table, 'allow_auto_snapshot', 'true')}")
    params += [
        f"bloom_filter_fp_chance = {_scalar_option(table, 'bloom_filter_fp_chance', '0.01')}",
        f"caching = {_map_40(caching)}",
        f"cdc = {_scalar_option(table, 'cdc', 'false')}",
        f"comment = {_quote(_scalar_option(table, 'comment', ''))}",
        f"compaction = {_map_40(compaction)}",
        f"compression = {_map_40(compression)}",
    ]
    if version.at_least("4.1"):
        params.append(f"memtable = {_quote(_scalar_option(table, 'memtable', 'default'))}")
    params += [
        f"crc_check_chance = {_scalar_option(table, 'crc_check_chance', '1.0')}",
        f"default_time_to_live = {_scalar_option(table, 'default_time_to_live', 0)}",
        "extensions = {}",
        f"gc_grace_seconds = {_scalar_option(table, 'gc_grace_seconds', 864000)}",
    ]
    if version.at_least("5.0"):
        params.append(f"incremental_backups = {_scalar_option(table, 'incremental_backups', 'true')}")
    params += [
        f"max_index_interval = {_scalar_option(table, 'max_index_interval', 2048)}",
        f"memtable_flush_period_in_ms = {_scalar_option(table, 'memtable_flush_period_in_ms', 0)}",
        f"min_index_interval = {_scalar_option(table, 'min_index_interval', 128)}",
        f"read_repair = {_quote(_scalar_option(table, 'read_repair', 'BLOCKING'))}",
        f"speculative_retry = {_quote(_scalar_option(table, 'speculative_retry', '99p'))}",
    ]
    return params
