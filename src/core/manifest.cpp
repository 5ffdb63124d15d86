// SPDX-License-Identifier: Apache-2.0
// The manifest's JSON mapping, written out key by key so that the document format can be read
// off this file next to docs/manifest.md. A manifest of a large cluster holds hundreds of
// thousands of file entries, so writing and reading go one node at a time rather than through
// one JSON tree of the whole document.

#include <ringsnap/manifest.hpp>

#include <algorithm>
#include <charconv>
#include <istream>
#include <ostream>

#include <fmt/format.h>

namespace ringsnap {

// --- Timestamps ---

Timestamp now_utc()
{
    return std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

std::string format_timestamp(Timestamp time)
{
    auto day = std::chrono::floor<std::chrono::days>(time);
    std::chrono::year_month_day date{day};
    std::chrono::hh_mm_ss clock{time - day};
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(date.year()),
                       static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                       clock.hours().count(), clock.minutes().count(), clock.seconds().count(),
                       clock.subseconds().count());
}

namespace {

// Reads exactly `width` digits at `pos`; false when they are not all digits.
bool read_digits(std::string_view text, std::size_t pos, std::size_t width, int& value)
{
    if (pos + width > text.size()) {
        return false;
    }
    auto digits = text.substr(pos, width);
    if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return false;  // from_chars would take a sign
    }
    auto first = text.data() + pos;
    auto [end, error] = std::from_chars(first, first + width, value);
    return error == std::errc{} && end == first + width;
}

bool separators_at(std::string_view text, std::initializer_list<std::pair<std::size_t, char>> expected)
{
    return std::all_of(expected.begin(), expected.end(), [&](const auto& sep) {
        return sep.first < text.size() && text[sep.first] == sep.second;
    });
}

// The ".fff...Z" tail after the seconds: milliseconds, or nothing when malformed.
std::optional<int> read_fraction_ms(std::string_view tail)
{
    if (tail == "Z") {
        return 0;
    }
    if (tail.size() < 3 || tail.size() > 11 || tail.front() != '.' || tail.back() != 'Z') {
        return std::nullopt;
    }
    auto digits = tail.substr(1, tail.size() - 2);
    if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
    }
    int ms = 0;
    for (std::size_t i = 0; i < 3; ++i) {
        ms = ms * 10 + (i < digits.size() ? digits[i] - '0' : 0);
    }
    return ms;
}

} // namespace

Result<Timestamp> parse_timestamp(std::string_view text)
{
    auto bad = [&] {
        return make_error(ErrorKind::parse,
                          fmt::format("invalid timestamp \"{}\": expected UTC like 2026-11-23T02:00:00.120Z", text));
    };
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    bool shaped = read_digits(text, 0, 4, year) && read_digits(text, 5, 2, month) && read_digits(text, 8, 2, day) &&
                  read_digits(text, 11, 2, hour) && read_digits(text, 14, 2, minute) &&
                  read_digits(text, 17, 2, second) &&
                  separators_at(text, {{4, '-'}, {7, '-'}, {10, 'T'}, {13, ':'}, {16, ':'}});
    if (!shaped) {
        return bad();
    }
    auto ms = read_fraction_ms(text.substr(19));
    std::chrono::year_month_day date{std::chrono::year{year}, std::chrono::month(static_cast<unsigned>(month)),
                                     std::chrono::day(static_cast<unsigned>(day))};
    if (!ms || !date.ok() || hour > 23 || minute > 59 || second > 59) {
        return bad();
    }
    return Timestamp{std::chrono::sys_days{date}} + std::chrono::hours(hour) + std::chrono::minutes(minute) +
           std::chrono::seconds(second) + std::chrono::milliseconds(*ms);
}

// --- Enumerations ---

const char* to_string(BackupKind kind)
{
    return kind == BackupKind::incremental ? "incremental" : "snapshot";
}

const char* to_string(ManifestStatus status)
{
    switch (status) {
    case ManifestStatus::complete:
        return "complete";
    case ManifestStatus::partial:
        return "partial";
    case ManifestStatus::failed:
        return "failed";
    }
    return "failed";
}

const char* to_string(NodeStatus status)
{
    return status == NodeStatus::ok ? "ok" : "failed";
}

// --- Derived values ---

ManifestStatus derive_status(const std::vector<NodeEntry>& nodes)
{
    auto ok = std::count_if(nodes.begin(), nodes.end(), [](const NodeEntry& node) { return node.status == NodeStatus::ok; });
    if (ok == 0) {
        return ManifestStatus::failed;
    }
    return ok == static_cast<std::ptrdiff_t>(nodes.size()) ? ManifestStatus::complete : ManifestStatus::partial;
}

ManifestTotals count_totals(const std::vector<NodeEntry>& nodes)
{
    ManifestTotals totals;
    totals.nodes = nodes.size();
    for (const auto& node : nodes) {
        totals.nodes_ok += node.status == NodeStatus::ok ? 1 : 0;
        totals.tables += node.tables.size();
        for (const auto& table : node.tables) {
            totals.files += table.files.size();
            for (const auto& file : table.files) {
                totals.bytes += file.size;
            }
        }
    }
    return totals;
}

std::optional<SnapshotSpread> compute_spread(const std::vector<NodeEntry>& nodes)
{
    std::optional<SnapshotSpread> spread;
    for (const auto& node : nodes) {
        auto time = node.snapshot_at ? node.snapshot_at : node.flush_at;
        if (!time) {
            continue;
        }
        if (!spread) {
            spread = SnapshotSpread{*time, *time};
        }
        spread->first = std::min(spread->first, *time);
        spread->last = std::max(spread->last, *time);
    }
    return spread;
}

void finish_manifest(Manifest& manifest)
{
    manifest.status = derive_status(manifest.nodes);
    auto bytes_hashed = manifest.totals.bytes_hashed;
    manifest.totals = count_totals(manifest.nodes);
    manifest.totals.bytes_hashed = bytes_hashed;
    manifest.snapshot_spread = compute_spread(manifest.nodes);
    if (manifest.ringsnap_version.empty()) {
        manifest.ringsnap_version = RINGSNAP_VERSION;
    }
}

ManifestSummary summary_of(const Manifest& manifest)
{
    return ManifestSummary{manifest.cluster,     manifest.tag,  manifest.kind,   manifest.status,
                           manifest.started_at,  manifest.finished_at, manifest.base, manifest.parent,
                           manifest.totals,      manifest.snapshot_spread};
}

// --- To JSON: one function per object of the document, keys in documented order ---

namespace {

template <class T>
ManifestJson or_null(const std::optional<T>& value)
{
    return value ? ManifestJson(*value) : ManifestJson(nullptr);
}

ManifestJson or_null(const std::optional<Timestamp>& time)
{
    return time ? ManifestJson(format_timestamp(*time)) : ManifestJson(nullptr);
}

ManifestJson file_json(const FileEntry& file)
{
    return ManifestJson{{"name", file.name},
                        {"size", file.size},
                        {"sha256", file.sha256},
                        {"inode", or_null(file.inode)},
                        {"mtime_ns", or_null(file.mtime_ns)}};
}

// Everything but "files", which comes last (write_manifest writes the files itself).
ManifestJson table_header_json(const TableEntry& table)
{
    return ManifestJson{{"keyspace", table.keyspace},
                        {"table", table.table},
                        {"table_id", table.table_id},
                        {"directory", table.directory},
                        {"cassandra_manifest", or_null(table.cassandra_manifest)},
                        {"schema_cql", or_null(table.schema_cql)}};
}

ManifestJson table_json(const TableEntry& table)
{
    ManifestJson json = table_header_json(table);
    ManifestJson& files = json["files"] = ManifestJson::array();
    for (const auto& file : table.files) {
        files.push_back(file_json(file));
    }
    return json;
}

// Everything but "tables", which comes last.
ManifestJson node_header_json(const NodeEntry& node)
{
    return ManifestJson{{"host", node.host},
                        {"datacenter", node.datacenter},
                        {"rack", node.rack},
                        {"host_id", or_null(node.host_id)},
                        {"cassandra_version", or_null(node.cassandra_version)},
                        {"tokens", node.tokens},
                        {"status", to_string(node.status)},
                        {"error", or_null(node.error)},
                        {"failed_step", or_null(node.failed_step)},
                        {"snapshot_at", or_null(node.snapshot_at)},
                        {"flush_at", or_null(node.flush_at)},
                        {"pruned_at", or_null(node.pruned_at)},
                        {"duration_ms", or_null(node.duration_ms)}};
}

ManifestJson node_json(const NodeEntry& node)
{
    ManifestJson json = node_header_json(node);
    ManifestJson& tables = json["tables"] = ManifestJson::array();
    for (const auto& table : node.tables) {
        tables.push_back(table_json(table));
    }
    return json;
}

ManifestJson selection_json(const Selection& selection)
{
    return ManifestJson{{"keyspaces", selection.keyspaces},
                        {"tables", selection.tables},
                        {"datacenters", selection.datacenters},
                        {"hosts", selection.hosts}};
}

ManifestJson totals_json(const ManifestTotals& totals)
{
    return ManifestJson{{"nodes", totals.nodes}, {"nodes_ok", totals.nodes_ok},
                        {"tables", totals.tables}, {"files", totals.files},
                        {"bytes", totals.bytes}, {"bytes_hashed", totals.bytes_hashed}};
}

ManifestJson spread_json(const std::optional<SnapshotSpread>& spread)
{
    if (!spread) {
        return nullptr;
    }
    return ManifestJson{{"first_at", format_timestamp(spread->first)},
                        {"last_at", format_timestamp(spread->last)},
                        {"spread_ms", spread->spread().count()}};
}

// Everything but "nodes", which comes last so that a reader can stop before it.
ManifestJson header_json(const Manifest& manifest)
{
    return ManifestJson{{"format", k_manifest_format},
                        {"format_version", k_manifest_format_version},
                        {"cluster", manifest.cluster},
                        {"kind", to_string(manifest.kind)},
                        {"tag", manifest.tag},
                        {"base", or_null(manifest.base)},
                        {"parent", or_null(manifest.parent)},
                        {"status", to_string(manifest.status)},
                        {"started_at", format_timestamp(manifest.started_at)},
                        {"finished_at", format_timestamp(manifest.finished_at)},
                        {"ringsnap_version", manifest.ringsnap_version},
                        {"selection", selection_json(manifest.selection)},
                        {"totals", totals_json(manifest.totals)},
                        {"snapshot_spread", spread_json(manifest.snapshot_spread)}};
}

} // namespace

ManifestJson to_json(const Manifest& manifest)
{
    ManifestJson json = header_json(manifest);
    ManifestJson nodes = ManifestJson::array();
    for (const auto& node : manifest.nodes) {
        nodes.push_back(node_json(node));
    }
    json["nodes"] = std::move(nodes);
    return json;
}

// --- Writing text ---

// The writer produces exactly the document of to_json (a test checks it), laid out for people
// and for size. File entries are nearly all of a large manifest, so they are written straight
// to the stream; everything else goes through the JSON builders above.

namespace {

std::string compact(const ManifestJson& value)
{
    return value.dump(-1, ' ', false, ManifestJson::error_handler_t::replace);
}

// Objects and arrays of plain values (a file entry, a token list) go on one line: a manifest
// is read by people too, and one line per file keeps it greppable and a third the size.
bool is_flat(const ManifestJson& value)
{
    return !value.is_structured() ||
           std::none_of(value.begin(), value.end(), [](const ManifestJson& item) { return item.is_structured(); });
}

void indent(std::ostream& out, int depth)
{
    for (int i = 0; i < depth; ++i) {
        out << "  ";
    }
}

void write_value(std::ostream& out, const ManifestJson& value, int depth)
{
    if (is_flat(value)) {
        out << compact(value);
        return;
    }
    out << (value.is_object() ? "{\n" : "[\n");
    bool first = true;
    for (auto item = value.begin(); item != value.end(); ++item) {
        out << (first ? "" : ",\n");
        first = false;
        indent(out, depth + 1);
        if (value.is_object()) {
            out << compact(item.key()) << ": ";
        }
        write_value(out, *item, depth + 1);
    }
    out << '\n';
    indent(out, depth);
    out << (value.is_object() ? '}' : ']');
}

// Opens an object and writes its members, each line ending in a comma: the caller then writes
// the last member, the large array, with write_array_member.
void write_leading_members(std::ostream& out, const ManifestJson& object, int depth)
{
    out << "{\n";
    for (const auto& [key, value] : object.items()) {
        indent(out, depth + 1);
        out << compact(key) << ": ";
        write_value(out, value, depth + 1);
        out << ",\n";
    }
}

// `"key": [ ... ]` and the closing brace of the object it ends.
template <class Item, class WriteItem>
void write_array_member(std::ostream& out, std::string_view key, const std::vector<Item>& items, int depth,
                        WriteItem write_item)
{
    indent(out, depth + 1);
    out << '"' << key << "\": [";
    for (std::size_t i = 0; i < items.size(); ++i) {
        out << (i == 0 ? "\n" : ",\n");
        indent(out, depth + 2);
        write_item(items[i]);
    }
    if (!items.empty()) {
        out << '\n';
        indent(out, depth + 1);
    }
    out << "]\n";
    indent(out, depth);
    out << '}';
}

bool needs_escaping(std::string_view text)
{
    return std::any_of(text.begin(), text.end(), [](char c) {
        auto byte = static_cast<unsigned char>(c);
        return byte < 0x20 || byte >= 0x7f || c == '"' || c == '\\';
    });
}

void append_string(std::string& line, std::string_view text)
{
    if (needs_escaping(text)) {
        line += compact(ManifestJson(text));  // escapes, and replaces bytes that are not UTF-8
        return;
    }
    line += '"';
    line += text;
    line += '"';
}

template <class Number>
void append_number(std::string& line, const std::optional<Number>& number)
{
    if (number) {
        fmt::format_to(std::back_inserter(line), "{}", *number);
    } else {
        line += "null";
    }
}

// One file entry as file_json would give it, without building it: fmt, not the stream, formats
// the numbers (a stream's locale could group digits).
void write_file_entry(std::ostream& out, const FileEntry& file, std::string& line)
{
    line.assign("{\"name\":");
    append_string(line, file.name);
    fmt::format_to(std::back_inserter(line), ",\"size\":{},\"sha256\":", file.size);
    append_string(line, file.sha256);
    line += ",\"inode\":";
    append_number(line, file.inode);
    line += ",\"mtime_ns\":";
    append_number(line, file.mtime_ns);
    line += '}';
    out.write(line.data(), static_cast<std::streamsize>(line.size()));
}

void write_table(std::ostream& out, const TableEntry& table, int depth)
{
    write_leading_members(out, table_header_json(table), depth);
    std::string line;
    write_array_member(out, "files", table.files, depth,
                       [&](const FileEntry& file) { write_file_entry(out, file, line); });
}

void write_node(std::ostream& out, const NodeEntry& node, int depth)
{
    write_leading_members(out, node_header_json(node), depth);
    write_array_member(out, "tables", node.tables, depth,
                       [&](const TableEntry& table) { write_table(out, table, depth + 2); });
}

} // namespace

void write_manifest(std::ostream& out, const Manifest& manifest)
{
    write_leading_members(out, header_json(manifest), 0);
    write_array_member(out, "nodes", manifest.nodes, 0, [&](const NodeEntry& node) { write_node(out, node, 2); });
    out << '\n';
}

// --- From JSON ---

namespace {

// Thrown while reading a document and caught in this file only: one throw point per kind of
// mistake keeps the key-by-key mapping below readable. Nothing escapes to callers.
struct FormatError {
    std::string path;
    std::string message;
};

// Where a value sits in the document, built only when a message needs it.
struct JsonPath {
    const JsonPath* parent = nullptr;
    std::string_view key;
    std::size_t index = 0;
    bool is_index = false;

    std::string str() const
    {
        std::string prefix = parent ? parent->str() : std::string();
        if (is_index) {
            return fmt::format("{}[{}]", prefix, index);
        }
        return prefix.empty() ? std::string(key) : fmt::format("{}.{}", prefix, key);
    }
    JsonPath operator/(std::string_view child) const { return JsonPath{this, child, 0, false}; }
    JsonPath operator[](std::size_t child) const { return JsonPath{this, {}, child, true}; }
};

[[noreturn]] void fail(const JsonPath& path, std::string message)
{
    throw FormatError{path.str(), std::move(message)};
}

// What a value is, for "expected X, found Y": numbers as written, the rest by type.
std::string type_of(const ManifestJson& value)
{
    if (value.is_number()) {
        return compact(value);
    }
    return value.is_string() ? "a string" : value.type_name();
}

bool is_non_negative_integer(const ManifestJson& value)
{
    return value.is_number_unsigned() || (value.is_number_integer() && value.get<std::int64_t>() >= 0);
}

// The keys of one JSON object, each read with its path for messages. An absent key and a null
// one are the same thing: optional readers give nothing, required readers refuse.
class Fields {
public:
    Fields(const ManifestJson& object, JsonPath path) : m_object(object), m_path(path)
    {
        if (!object.is_object()) {
            fail(path, fmt::format("expected an object, found {}", type_of(object)));
        }
    }

    const JsonPath& path() const { return m_path; }

    const ManifestJson* find(std::string_view key) const
    {
        auto it = m_object.find(key);
        return it == m_object.end() || it->is_null() ? nullptr : &*it;
    }

    const ManifestJson& required(std::string_view key) const
    {
        const ManifestJson* value = find(key);
        if (!value) {
            fail(m_path / key, m_object.contains(key) ? "must not be null" : "missing");
        }
        return *value;
    }

    std::string string(std::string_view key) const { return as_string(required(key), key); }

    std::optional<std::string> optional_string(std::string_view key) const
    {
        const ManifestJson* value = find(key);
        return value ? std::optional(as_string(*value, key)) : std::nullopt;
    }

    std::uint64_t unsigned_number(std::string_view key) const { return as_unsigned(required(key), key); }

    std::optional<std::uint64_t> optional_unsigned(std::string_view key) const
    {
        const ManifestJson* value = find(key);
        return value ? std::optional(as_unsigned(*value, key)) : std::nullopt;
    }

    std::optional<std::int64_t> optional_integer(std::string_view key) const
    {
        const ManifestJson* value = find(key);
        if (!value) {
            return std::nullopt;
        }
        if (value->is_number_unsigned() && value->get<std::uint64_t>() > INT64_MAX) {
            fail(m_path / key, "out of range");
        }
        if (!value->is_number_integer()) {
            fail(m_path / key, fmt::format("expected an integer, found {}", type_of(*value)));
        }
        return value->get<std::int64_t>();
    }

    Timestamp timestamp(std::string_view key) const { return as_timestamp(required(key), key); }

    std::optional<Timestamp> optional_timestamp(std::string_view key) const
    {
        const ManifestJson* value = find(key);
        return value ? std::optional(as_timestamp(*value, key)) : std::nullopt;
    }

    // An absent list is an empty one.
    std::vector<std::string> strings(std::string_view key) const
    {
        std::vector<std::string> list;
        const ManifestJson* value = find(key);
        if (!value) {
            return list;
        }
        const ManifestJson& array = as_array(*value, key);
        list.reserve(array.size());
        for (std::size_t i = 0; i < array.size(); ++i) {
            if (!array[i].is_string()) {
                fail((m_path / key)[i], fmt::format("expected a string, found {}", type_of(array[i])));
            }
            list.push_back(array[i].get<std::string>());
        }
        return list;
    }

    const ManifestJson& array(std::string_view key) const { return as_array(required(key), key); }

    // One of `names` (an enumeration's values in the document).
    template <class Enum, std::size_t N>
    Enum choice(std::string_view key, const std::pair<const char*, Enum> (&names)[N]) const
    {
        std::string value = string(key);
        for (const auto& [name, result] : names) {
            if (value == name) {
                return result;
            }
        }
        std::string allowed;
        for (const auto& entry : names) {
            allowed += fmt::format("{}\"{}\"", allowed.empty() ? "" : ", ", entry.first);
        }
        fail(m_path / key, fmt::format("unknown value \"{}\"; expected one of {}", value, allowed));
    }

private:
    std::string as_string(const ManifestJson& value, std::string_view key) const
    {
        if (!value.is_string()) {
            fail(m_path / key, fmt::format("expected a string, found {}", type_of(value)));
        }
        return value.get<std::string>();
    }

    std::uint64_t as_unsigned(const ManifestJson& value, std::string_view key) const
    {
        if (!is_non_negative_integer(value)) {
            fail(m_path / key, fmt::format("expected a non-negative integer, found {}", type_of(value)));
        }
        return value.get<std::uint64_t>();
    }

    Timestamp as_timestamp(const ManifestJson& value, std::string_view key) const
    {
        auto time = parse_timestamp(as_string(value, key));
        if (!time) {
            fail(m_path / key, time.error().message);
        }
        return *time;
    }

    const ManifestJson& as_array(const ManifestJson& value, std::string_view key) const
    {
        if (!value.is_array()) {
            fail(m_path / key, fmt::format("expected an array, found {}", type_of(value)));
        }
        return value;
    }

    const ManifestJson& m_object;
    JsonPath m_path;
};

constexpr std::pair<const char*, BackupKind> k_kinds[] = {{"snapshot", BackupKind::snapshot},
                                                          {"incremental", BackupKind::incremental}};
constexpr std::pair<const char*, ManifestStatus> k_statuses[] = {{"complete", ManifestStatus::complete},
                                                                 {"partial", ManifestStatus::partial},
                                                                 {"failed", ManifestStatus::failed}};
constexpr std::pair<const char*, NodeStatus> k_node_statuses[] = {{"ok", NodeStatus::ok},
                                                                  {"failed", NodeStatus::failed}};

FileEntry read_file_entry(const ManifestJson& json, const JsonPath& path)
{
    Fields fields(json, path);
    FileEntry file;
    file.name = fields.string("name");
    file.size = fields.unsigned_number("size");
    file.sha256 = fields.string("sha256");
    file.inode = fields.optional_unsigned("inode");
    file.mtime_ns = fields.optional_integer("mtime_ns");
    return file;
}

TableEntry read_table(const ManifestJson& json, const JsonPath& path)
{
    Fields fields(json, path);
    TableEntry table;
    table.keyspace = fields.string("keyspace");
    table.table = fields.string("table");
    table.table_id = fields.string("table_id");
    table.directory = fields.string("directory");
    if (const ManifestJson* cassandra_manifest = fields.find("cassandra_manifest")) {
        table.cassandra_manifest = *cassandra_manifest;
    }
    table.schema_cql = fields.optional_string("schema_cql");
    const ManifestJson& files = fields.array("files");
    auto files_path = path / "files";
    table.files.reserve(files.size());
    for (std::size_t i = 0; i < files.size(); ++i) {
        table.files.push_back(read_file_entry(files[i], files_path[i]));
    }
    return table;
}

NodeEntry read_node(const ManifestJson& json, const JsonPath& path)
{
    Fields fields(json, path);
    NodeEntry node;
    node.host = fields.string("host");
    node.datacenter = fields.string("datacenter");
    node.rack = fields.optional_string("rack").value_or("");
    node.host_id = fields.optional_string("host_id");
    node.cassandra_version = fields.optional_string("cassandra_version");
    node.tokens = fields.strings("tokens");
    node.status = fields.choice("status", k_node_statuses);
    node.error = fields.optional_string("error");
    node.failed_step = fields.optional_string("failed_step");
    node.snapshot_at = fields.optional_timestamp("snapshot_at");
    node.flush_at = fields.optional_timestamp("flush_at");
    node.pruned_at = fields.optional_timestamp("pruned_at");
    node.duration_ms = fields.optional_integer("duration_ms");
    const ManifestJson& tables = fields.array("tables");
    auto tables_path = path / "tables";
    for (std::size_t i = 0; i < tables.size(); ++i) {
        node.tables.push_back(read_table(tables[i], tables_path[i]));
    }
    return node;
}

// "format" and "format_version" first: a document of another kind or a newer version must be
// refused for that reason, not for the first key it happens to lay out differently.
int read_format_version(const Fields& fields)
{
    const ManifestJson* format = fields.find("format");
    if (!format || !format->is_string() || format->get<std::string>() != k_manifest_format) {
        fail(fields.path() / "format",
             fmt::format("not a ringsnap manifest: \"format\" is {}, expected \"{}\"",
                         format ? compact(*format) : "missing", k_manifest_format));
    }
    auto version = fields.unsigned_number("format_version");
    if (version == 0) {
        fail(fields.path() / "format_version", "0 is not a format version; versions start at 1");
    }
    if (version > static_cast<std::uint64_t>(k_manifest_format_version)) {
        fail(fields.path() / "format_version",
             fmt::format("format_version {} was written by a newer ringsnap; this one ({}) reads versions up "
                         "to {}: upgrade ringsnap to read it",
                         version, RINGSNAP_VERSION, k_manifest_format_version));
    }
    return static_cast<int>(version);
}

Selection read_selection(const ManifestJson& json, const JsonPath& path)
{
    Fields fields(json, path);
    return Selection{fields.strings("keyspaces"), fields.strings("tables"), fields.strings("datacenters"),
                     fields.strings("hosts")};
}

ManifestTotals read_totals(const ManifestJson& json, const JsonPath& path)
{
    Fields fields(json, path);
    return ManifestTotals{fields.unsigned_number("nodes"), fields.unsigned_number("nodes_ok"),
                          fields.unsigned_number("tables"), fields.unsigned_number("files"),
                          fields.unsigned_number("bytes"), fields.unsigned_number("bytes_hashed")};
}

SnapshotSpread read_spread(const ManifestJson& json, const JsonPath& path)
{
    Fields fields(json, path);
    return SnapshotSpread{fields.timestamp("first_at"), fields.timestamp("last_at")};
}

// Everything but the nodes. Returns whether the document carries totals (older or hand-written
// ones may not; they are then counted from the nodes).
bool read_header(const ManifestJson& json, Manifest& manifest)
{
    JsonPath root;
    Fields fields(json, root);
    manifest.format_version = read_format_version(fields);
    manifest.cluster = fields.string("cluster");
    manifest.kind = fields.choice("kind", k_kinds);
    manifest.tag = fields.string("tag");
    manifest.base = fields.optional_string("base");
    manifest.parent = fields.optional_string("parent");
    manifest.status = fields.choice("status", k_statuses);
    manifest.started_at = fields.timestamp("started_at");
    manifest.finished_at = fields.timestamp("finished_at");
    manifest.ringsnap_version = fields.optional_string("ringsnap_version").value_or("");
    if (const ManifestJson* selection = fields.find("selection")) {
        manifest.selection = read_selection(*selection, root / "selection");
    }
    if (const ManifestJson* spread = fields.find("snapshot_spread")) {
        manifest.snapshot_spread = read_spread(*spread, root / "snapshot_spread");
    }
    const ManifestJson* totals = fields.find("totals");
    if (totals) {
        manifest.totals = read_totals(*totals, root / "totals");
    }
    return totals != nullptr;
}

// Fills what an older document may lack from its nodes.
void complete_from_nodes(Manifest& manifest, bool had_totals)
{
    if (!had_totals) {
        manifest.totals = count_totals(manifest.nodes);
    }
    if (!manifest.snapshot_spread) {
        manifest.snapshot_spread = compute_spread(manifest.nodes);
    }
}

Error to_error(const FormatError& error, std::string_view source)
{
    std::string where = source.empty() ? "manifest" : fmt::format("manifest {}", source);
    return make_error(ErrorKind::parse, fmt::format("{}: {}: {}", where, error.path.empty() ? "(document)" : error.path,
                                                    error.message));
}

Error not_json(const std::exception& error, std::string_view source)
{
    return make_error(ErrorKind::parse, fmt::format("manifest {}: not valid JSON: {}", source, error.what()));
}

} // namespace

Result<Manifest> manifest_from_json(const ManifestJson& json)
{
    try {
        Manifest manifest;
        bool had_totals = read_header(json, manifest);
        JsonPath root;
        const ManifestJson& nodes = Fields(json, root).array("nodes");
        for (std::size_t i = 0; i < nodes.size(); ++i) {
            manifest.nodes.push_back(read_node(nodes[i], (root / "nodes")[i]));
        }
        complete_from_nodes(manifest, had_totals);
        return manifest;
    } catch (const FormatError& error) {
        return to_error(error, "");
    }
}

// --- Reading text ---

namespace {

// Parses the document while turning each element of "nodes" into a NodeEntry as soon as it is
// complete, then dropping its JSON: memory holds one node's JSON at a time. A node error is kept
// until the header is read, since a wrong format or version explains it better.
class StreamingReader {
public:
    Result<Manifest> read(std::istream& in, std::string_view source)
    {
        ManifestJson root;
        try {
            root = ManifestJson::parse(in, [this](int depth, ManifestJson::parse_event_t event, ManifestJson& parsed) {
                return on_event(depth, event, parsed);
            });
        } catch (const ManifestJson::exception& error) {
            return not_json(error, source);
        }
        try {
            bool had_totals = read_header(root, m_manifest);
            check_nodes_array(root);
            if (m_node_error) {
                throw *m_node_error;
            }
            complete_from_nodes(m_manifest, had_totals);
            return std::move(m_manifest);
        } catch (const FormatError& error) {
            return to_error(error, source);
        }
    }

private:
    bool on_event(int depth, ManifestJson::parse_event_t event, ManifestJson& parsed)
    {
        if (depth == 1 && event == ManifestJson::parse_event_t::key) {
            m_in_nodes = parsed == "nodes";
        }
        if (depth == 2 && event == ManifestJson::parse_event_t::object_end && m_in_nodes) {
            take_node(parsed);
            return false;  // drop its JSON: it lives on as a NodeEntry
        }
        return true;
    }

    void take_node(const ManifestJson& json)
    {
        JsonPath root;
        auto index = m_nodes_seen++;
        if (m_node_error) {
            return;
        }
        try {
            m_manifest.nodes.push_back(read_node(json, (root / "nodes")[index]));
        } catch (const FormatError& error) {
            m_node_error = error;
        }
    }

    // Every object element of "nodes" was taken out while parsing; anything left over is not a node.
    void check_nodes_array(const ManifestJson& root) const
    {
        JsonPath path;
        const ManifestJson& nodes = Fields(root, path).array("nodes");
        if (!nodes.empty()) {
            fail(path / "nodes", fmt::format("expected an array of objects, found {}", type_of(nodes.front())));
        }
    }

    Manifest m_manifest;
    bool m_in_nodes = false;
    std::size_t m_nodes_seen = 0;
    std::optional<FormatError> m_node_error;
};

// Builds the JSON of the keys before "nodes" and stops there (SAX events, no full parse).
class HeaderCollector : public nlohmann::json_sax<ManifestJson> {
public:
    ManifestJson root;
    bool reached_nodes = false;
    std::string syntax_error;

    bool null() override { return add(nullptr); }
    bool boolean(bool value) override { return add(value); }
    bool number_integer(number_integer_t value) override { return add(value); }
    bool number_unsigned(number_unsigned_t value) override { return add(value); }
    bool number_float(number_float_t value, const string_t& /*text*/) override { return add(value); }
    bool string(string_t& value) override { return add(value); }
    bool binary(binary_t& value) override { return add(ManifestJson::binary(value)); }
    bool start_object(std::size_t /*size*/) override { return open(ManifestJson::object()); }
    bool start_array(std::size_t /*size*/) override { return open(ManifestJson::array()); }
    bool end_object() override { return close(); }
    bool end_array() override { return close(); }

    bool key(string_t& name) override
    {
        if (m_open.size() == 1 && name == "nodes") {
            reached_nodes = true;
            return false;  // stop: the rest is nodes
        }
        m_key = name;
        return true;
    }

    bool parse_error(std::size_t /*position*/, const std::string& /*token*/,
                     const nlohmann::detail::exception& error) override
    {
        syntax_error = error.what();
        return false;
    }

private:
    ManifestJson* place(ManifestJson value)
    {
        if (m_open.empty()) {
            root = std::move(value);
            return &root;
        }
        ManifestJson& parent = *m_open.back();
        if (parent.is_array()) {
            parent.push_back(std::move(value));
            return &parent.back();
        }
        return &(parent[m_key] = std::move(value));
    }
    bool add(ManifestJson value)
    {
        place(std::move(value));
        return true;
    }
    bool open(ManifestJson value)
    {
        m_open.push_back(place(std::move(value)));
        return true;
    }
    bool close()
    {
        m_open.pop_back();
        return true;
    }

    std::vector<ManifestJson*> m_open;  // the containers being filled, outermost first
    std::string m_key;
};

} // namespace

Result<Manifest> read_manifest(std::istream& in, std::string_view source)
{
    return StreamingReader{}.read(in, source);
}

namespace {

// A manifest cut short (a full disk, a copy interrupted) loses its closing brace: a cheap check
// for the part a summary does not parse.
bool ends_like_a_document(std::istream& in)
{
    in.clear();
    in.seekg(0, std::ios::end);
    auto size = static_cast<std::streamoff>(in.tellg());
    if (size <= 0) {
        return false;
    }
    std::string tail(static_cast<std::size_t>(std::min<std::streamoff>(size, 64)), '\0');
    in.seekg(size - static_cast<std::streamoff>(tail.size()));
    in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
    auto last = tail.find_last_not_of(" \t\r\n");
    return in && last != std::string::npos && tail[last] == '}';
}

// The summary from the keys before "nodes"; nothing when they do not hold all of it.
std::optional<Result<ManifestSummary>> summary_from_header(const ManifestJson& header, std::string_view source)
{
    try {
        if (header.contains("format")) {
            read_format_version(Fields(header, JsonPath{}));  // a wrong format or version is final
        }
    } catch (const FormatError& error) {
        return Result<ManifestSummary>(to_error(error, source));
    }
    if (!header.contains("totals")) {
        return std::nullopt;
    }
    try {
        Manifest manifest;
        read_header(header, manifest);
        return Result<ManifestSummary>(summary_of(manifest));
    } catch (const FormatError&) {
        return std::nullopt;  // the header may go on after "nodes": the whole read decides
    }
}

} // namespace

Result<ManifestSummary> read_manifest_summary(std::istream& in, std::string_view source)
{
    HeaderCollector collector;
    ManifestJson::sax_parse(in, &collector);
    if (!collector.reached_nodes && !collector.syntax_error.empty()) {
        return make_error(ErrorKind::parse, fmt::format("manifest {}: not valid JSON: {}", source, collector.syntax_error));
    }
    if (collector.reached_nodes && ends_like_a_document(in)) {
        if (auto summary = summary_from_header(collector.root, source)) {
            return std::move(*summary);
        }
    }
    in.clear();
    in.seekg(0);
    auto manifest = read_manifest(in, source);
    if (!manifest) {
        return manifest.error();
    }
    return summary_of(*manifest);
}

} // namespace ringsnap
