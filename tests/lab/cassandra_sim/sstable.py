"""SSTable files: names, components and the content the simulator puts in them
(cassandra-behaviour.md §10).

A name is `<version>-<id>-<format>-<Component>`, e.g. nb-12-big-Data.db, where the id is a
sequence number or, on 4.1+ with uuid_sstable_identifiers_enabled, a 28-character time-based
id (nb-3g1m_0nuf_3vj5m2k1125165rxa7-big-Data.db).

Content: Data.db holds the rows (rows.py fragments) as JSON lines behind a one-line header
that gives their byte length, optionally followed by a sparse tail so seeded tables can be
large without using disk. The other components are small stand-ins of plausible size; TOC.txt
lists the components in the order a real one does and Digest.crc32 holds the CRC32 of the
row bytes as decimal text. Statistics.db carries one JSON line with the metadata refresh and
import rewrite (level, repaired_at). Nothing outside the simulator parses these contents.
"""

import os
import zlib

from . import jsonlite

BIG_COMPONENTS = ("Data.db", "Index.db", "Summary.db", "Filter.db", "Statistics.db", "CompressionInfo.db",
                  "Digest.crc32", "TOC.txt")
BTI_COMPONENTS = ("Data.db", "Partitions.db", "Rows.db", "Filter.db", "Statistics.db", "CompressionInfo.db",
                  "Digest.crc32", "TOC.txt")
# TOC.txt is written from a hash set; these are the orders of real files
# (cassandra-behaviour.md §10.3).
BIG_TOC_ORDER = ("CompressionInfo.db", "Index.db", "TOC.txt", "Filter.db", "Summary.db", "Statistics.db",
                 "Digest.crc32", "Data.db")
BTI_TOC_ORDER = ("Data.db", "Statistics.db", "Digest.crc32", "TOC.txt", "CompressionInfo.db", "Filter.db",
                 "Partitions.db", "Rows.db")

_HEADER = b"RINGSNAP-SIM-SSTABLE 1 "
_STATS_HEADER = b"RINGSNAP-SIM-STATS\n"


class Descriptor:
    """The identity of one sstable: format version, id and format, e.g. ('nb', '3', 'big')."""
    __slots__ = ("version", "id", "format")

    def __init__(self, version: str, sstable_id: str, fmt: str):
        self.version = version
        self.id = str(sstable_id)
        self.format = fmt

    @property
    def prefix(self) -> str:
        return f"{self.version}-{self.id}-{self.format}"

    def filename(self, component: str) -> str:
        return f"{self.prefix}-{component}"

    @property
    def components(self) -> tuple:
        return BTI_COMPONENTS if self.format == "bti" else BIG_COMPONENTS

    @property
    def generation(self):
        """The sequence number, or None for a UUID-based id."""
        return int(self.id) if self.id.isdigit() else None

    def __repr__(self):
        return self.prefix


def parse_filename(filename: str):
    """(Descriptor, component) of an sstable file name, or None for anything else."""
    parts = filename.split("-", 3)
    if len(parts) != 4:
        return None
    version, sstable_id, fmt, component = parts
    if len(version) != 2 or not version.isalpha() or not version.islower() or fmt not in ("big", "bti"):
        return None
    if not (sstable_id.isdigit() or _is_uuid_id(sstable_id)) or not component:
        return None
    return Descriptor(version, sstable_id, fmt), component


def _is_uuid_id(text: str) -> bool:
    """UUIDBasedSSTableId's ([0-9a-z]{4})_([0-9a-z]{4})_([0-9a-z]{5})([0-9a-z]{13})."""
    return len(text) == 28 and text[4] == "_" and text[9] == "_" and \
        all(c.isdigit() or "a" <= c <= "z" for i, c in enumerate(text) if i not in (4, 9))


def parse_prefix(prefix: str) -> Descriptor:
    version, rest = prefix.split("-", 1)
    sstable_id, fmt = rest.rsplit("-", 1)
    return Descriptor(version, sstable_id, fmt)


def list_sstables(directory: str) -> dict:
    """{prefix: [component file names]} of the sstables directly in `directory` (temporary
    files and transaction logs are skipped, like Directories.SSTableLister.skipTemporary)."""
    found = {}
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return found
    for name in names:
        parsed = parse_filename(name)
        if parsed is None or name.endswith(".tmp") or "_txn_" in name:
            continue
        found.setdefault(parsed[0].prefix, []).append(name)
    return found


def files_size(directory: str, files) -> int:
    total = 0
    for name in files:
        try:
            total += os.stat(os.path.join(directory, name)).st_size
        except FileNotFoundError:
            pass
    return total


# --- ids ----------------------------------------------------------------------------------------

_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"
_last_uuid_micros = [0]


def _base36(n: int) -> str:
    digits = ""
    while True:
        n, r = divmod(n, 36)
        digits = _B36[r] + digits
        if n == 0:
            return digits


def uuid_sstable_id(unix_micros: int, lsb: int) -> str:
    """UUIDBasedSSTableId.asString of a TimeUUID (cassandra-behaviour.md §10.2)."""
    ts = unix_micros * 10 + 122192928000000000  # 100 ns units since 1582-10-15
    nanos, ts = ts % 10_000_000, ts // 10_000_000
    secs, days = ts % 86_400, ts // 86_400
    text = "%4s_%4s_%5s%13s" % (_base36(days), _base36(secs), _base36(nanos), _base36(lsb & (2 ** 64 - 1)))
    return text.replace(" ", "0")


def next_uuid_id(now_micros: int, lsb: int) -> str:
    """A new UUID id, strictly later than the previous one of this process."""
    micros = max(now_micros, _last_uuid_micros[0] + 1)
    _last_uuid_micros[0] = micros
    return uuid_sstable_id(micros, lsb)


# --- writing and reading ------------------------------------------------------------------------

def encode_rows(fragments) -> bytes:
    return b"".join(jsonlite.dumps(f, compact=True).encode() + b"\n" for f in fragments)


def write(directory: str, descriptor: Descriptor, fragments, data_size: int = 0, chunk_kb: int = 16,
          min_token: int = 0, max_token: int = 0) -> int:
    """Write every component of a new sstable; returns the total size in bytes. Data.db is
    padded with a sparse tail up to `data_size` when that is larger than the rows. A file that
    already exists is overwritten in place, through every hard link to it, as SequentialWriter
    opens an existing file READ/WRITE (3.11/4.0 flushes onto files dropped into a table dir)."""
    body = fragments if isinstance(fragments, bytes) else encode_rows(fragments)
    rows = body.count(b"\n")
    data = _HEADER + str(len(body)).encode() + b"\n" + body
    data_length = max(len(data), data_size)
    chunks = max(1, -(-data_length // (chunk_kb * 1024)))
    stats = jsonlite.dumps({"rows": rows, "min_token": min_token, "max_token": max_token, "level": 0,
                        "repaired_at": 0, "format": descriptor.prefix}).encode()
    contents = {
        "Data.db": data,
        "Index.db": b"\x00\x10" * (8 * rows + 4),
        "Summary.db": b"\x00\x00\x00\x80\x00\x00\x08\x00" + b"\x00" * (16 + 8 * min(rows, 128)),
        "Partitions.db": b"\x00\x10" * (6 * rows + 8),
        "Rows.db": b"\x00\x20" * (4 * rows + 8),
        "Filter.db": b"\x00\x00\x00\x07\x00\x00\x00\x02" + zlib.crc32(body).to_bytes(4, "big") * (2 + rows // 8),
        "Statistics.db": _stats_bytes(stats),
        "CompressionInfo.db": b"\x00\rLZ4Compressor\x00\x00\x00\x00" + (chunk_kb * 1024).to_bytes(4, "big")
                              + data_length.to_bytes(8, "big") + chunks.to_bytes(4, "big") + b"\x00" * (8 * chunks),
        "Digest.crc32": str(zlib.crc32(data)).encode(),
    }
    toc_order = BTI_TOC_ORDER if descriptor.format == "bti" else BIG_TOC_ORDER
    contents["TOC.txt"] = "".join(c + "\n" for c in toc_order).encode()
    total = 0
    for component in descriptor.components:
        path = os.path.join(directory, descriptor.filename(component))
        with open(path, "wb") as f:
            f.write(contents[component])
            if component == "Data.db" and data_size > len(data):
                f.truncate(data_size)
        total += data_length if component == "Data.db" else len(contents[component])
    return total


def _stats_bytes(stats_json: bytes) -> bytes:
    return _STATS_HEADER + stats_json + b"\n" + b"\x00" * 512


class CorruptSSTable(Exception):
    pass


def read_stats(stats_path: str) -> dict:
    """The metadata line of a Statistics.db (level, repaired_at, rows, tokens)."""
    with open(stats_path, "rb") as f:
        if f.readline() != _STATS_HEADER:
            raise CorruptSSTable(f"{stats_path} is not a Statistics.db written by the simulator")
        try:
            return jsonlite.loads(f.readline())
        except ValueError:
            raise CorruptSSTable(f"{stats_path}: unreadable metadata") from None


def rewrite_stats(stats_path: str, **changes) -> None:
    """MetadataSerializer.rewriteSSTableMetadata: serialize into `<file>.tmp`, then rename it
    over the original (cassandra-behaviour.md §6.4 step 4, §6.7). The file therefore gets a new
    inode, and any snapshot or staging hard link to the old one keeps the old bytes. Each
    rewrite is counted in the file, so its bytes change even when the values do not (ringsnap
    must never expect a rewritten Statistics.db to match its backup). A file the simulator
    cannot parse is left alone (a real node would fail to open it later anyway)."""
    try:
        stats = read_stats(stats_path)
    except (CorruptSSTable, OSError):
        return
    stats.update(changes)
    stats["rewrites"] = stats.get("rewrites", 0) + 1
    tmp = stats_path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(_stats_bytes(jsonlite.dumps(stats).encode()))
    os.replace(tmp, stats_path)


def read_fragments(data_path: str) -> list:
    """The row fragments in a Data.db (the sparse tail, if any, is never read)."""
    with open(data_path, "rb") as f:
        header = f.readline()
        if not header.startswith(_HEADER):
            raise CorruptSSTable(f"{data_path} is not an sstable Data.db written by the simulator")
        try:
            length = int(header[len(_HEADER):])
        except ValueError:
            raise CorruptSSTable(f"{data_path}: bad header") from None
        body = f.read(length)
    if len(body) != length:
        raise CorruptSSTable(f"{data_path}: truncated")
    try:
        return [jsonlite.loads(line) for line in body.splitlines() if line]
    except ValueError:
        raise CorruptSSTable(f"{data_path}: unreadable rows") from None


def link_files(src_dir: str, dst_dir: str, files) -> None:
    """Hard-link the given component files into dst_dir (snapshots, backups). A file that
    vanished is skipped, like SSTableReader.createLinks; an existing target is an error, like
    FileUtils.createHardLink."""
    os.makedirs(dst_dir, exist_ok=True)
    for name in files:
        try:
            os.link(os.path.join(src_dir, name), os.path.join(dst_dir, name))
        except FileNotFoundError:
            if os.path.isdir(dst_dir):
                continue
            raise


def move_sstable(src_dir: str, files, old: Descriptor, dst_dir: str, new: Descriptor, copy: bool = False) -> list:
    """Rename the components of `old` in src_dir to `new` in dst_dir (refresh, import), or with
    `copy` (import --copy-data) hard-link them, as SSTableWriter.hardlink does, falling back
    to a byte copy only when linking fails (another file system). Returns the new names."""
    import errno
    import shutil
    moved = []
    for name in files:
        target = new.prefix + name[len(old.prefix):]
        src, dst = os.path.join(src_dir, name), os.path.join(dst_dir, target)
        if copy:
            try:
                os.link(src, dst)
            except OSError as e:  # "Unable to hardlink new SSTable ... falling back to copying"
                if e.errno == errno.EEXIST:
                    raise
                shutil.copyfile(src, dst)
        else:
            try:
                os.rename(src, dst)
            except OSError:  # another file system: copy, then remove
                shutil.copyfile(src, dst)
                os.unlink(src)
        moved.append(target)
    return moved
