// SPDX-License-Identifier: Apache-2.0
// The manifest's JSON mapping, reading side: every key read with its JSON path for messages, so
// that a bad document is refused naming the place of the mistake (manifest_writer.cpp is the other
// side). Manifests are untrusted input: each value is held to its rule of manifest_rules.hpp as it
// is read. Text is read one node at a time; a summary stops before the nodes.

#include <ringsnap/manifest_json.hpp>

#include <algorithm>
#include <cstdint>
#include <istream>
#include <map>
#include <tuple>
#include <unordered_map>

#include <fmt/format.h>

#include "core/manifest_rules.hpp"

namespace ringsnap {

// --- From JSON ---

namespace {

// A value as JSON text on one line, for messages.
std::string compact(const ManifestJson& value)
{
    return value.dump(-1, ' ', false, ManifestJson::error_handler_t::replace);
}

// Thrown while reading a document and caught in this file only: one throw point per kind of
// mistake keeps the key-by-key mapping below readable. Nothing escapes to callers.
struct FormatError
{
    std::string path;
    std::string message;
    // A value was there and broke a rule (manifest_rules.hpp), rather than missing or of the
    // wrong type: keys after "nodes" cannot make up for it.
    bool refused_value = false;
};

// Where a value sits in the document, built only when a message needs it.
struct JsonPath
{
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
    throw FormatError{path.str(), std::move(message), false};
}

// A value that breaks a rule: what it should have been, then the value, quoted and cut.
[[noreturn]] void refuse(const JsonPath& path, std::string_view expected, std::string_view value)
{
    throw FormatError{path.str(), fmt::format("{}, found {}", expected, manifest_rules::shown(value)), true};
}

using Rule = manifest_rules::Problem (*)(std::string_view);

void check(const JsonPath& path, std::string_view value, Rule rule)
{
    if (auto problem = rule(value)) {
        refuse(path, *problem, value);
    }
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
class Fields
{
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

    // A string that must keep `rule` (manifest_rules.hpp).
    std::string string(std::string_view key, Rule rule) const
    {
        std::string value = string(key);
        check(m_path / key, value, rule);
        return value;
    }

    std::optional<std::string> optional_string(std::string_view key, Rule rule) const
    {
        auto value = optional_string(key);
        if (value) {
            check(m_path / key, *value, rule);
        }
        return value;
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

    // An absent list is an empty one. Each item must keep `rule` when there is one.
    std::vector<std::string> strings(std::string_view key, Rule rule = nullptr) const
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
            if (rule) {
                check((m_path / key)[i], list.back(), rule);
            }
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
        fail(m_path / key, fmt::format("unknown value {}; expected one of {}", manifest_rules::shown(value), allowed));
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
        std::string text = as_string(value, key);
        auto time = parse_timestamp(text);
        if (!time) {
            refuse(m_path / key, "expected a UTC timestamp like 2026-11-23T02:00:00.120Z", text);
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
// An archive's status is never `running`: it is written once the archive run has ended.
constexpr std::pair<const char*, ManifestStatus> k_archive_statuses[] = {
    {"complete", ManifestStatus::complete}, {"partial", ManifestStatus::partial}, {"failed", ManifestStatus::failed}};
constexpr std::pair<const char*, ManifestStatus> k_statuses[] = {{"complete", ManifestStatus::complete},
                                                                 {"partial", ManifestStatus::partial},
                                                                 {"failed", ManifestStatus::failed},
                                                                 {"running", ManifestStatus::running}};
constexpr std::pair<const char*, NodeStatus> k_node_archive_statuses[] = {{"ok", NodeStatus::ok},
                                                                          {"failed", NodeStatus::failed}};
constexpr std::pair<const char*, NodeStatus> k_node_statuses[] = {
    {"ok", NodeStatus::ok}, {"failed", NodeStatus::failed}, {"running", NodeStatus::running}};

FileEntry read_file_entry(const ManifestJson& json, const JsonPath& path)
{
    Fields fields(json, path);
    FileEntry file;
    file.name = fields.string("name", manifest_rules::check_file_name);
    file.size = fields.unsigned_number("size");
    file.sha256 = fields.string("sha256", manifest_rules::check_sha256);
    file.inode = fields.optional_unsigned("inode");
    file.mtime_ns = fields.optional_integer("mtime_ns");
    return file;
}

// A file listed twice would be restored or cleared twice, and hides which of its entries is right.
void check_unique_names(const std::vector<FileEntry>& files, const JsonPath& files_path)
{
    std::unordered_map<std::string_view, std::size_t> first_at;
    first_at.reserve(files.size());
    for (std::size_t i = 0; i < files.size(); ++i) {
        auto [first, inserted] = first_at.emplace(files[i].name, i);
        if (!inserted) {
            fail(files_path[i] / "name", fmt::format("{} is listed twice in the table (first at files[{}])",
                                                     manifest_rules::shown(files[i].name), first->second));
        }
    }
}

TableEntry read_table(const ManifestJson& json, const JsonPath& path)
{
    Fields fields(json, path);
    TableEntry table;
    table.keyspace = fields.string("keyspace", manifest_rules::check_cql_name);
    table.table = fields.string("table", manifest_rules::check_cql_name);
    table.table_id = fields.string("table_id", manifest_rules::check_table_id);
    table.directory = fields.string("directory");
    if (auto problem =
            manifest_rules::check_table_directory(table.directory, table.keyspace, table.table, table.table_id)) {
        refuse(path / "directory", *problem, table.directory);
    }
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
    check_unique_names(table.files, files_path);
    return table;
}

// One node has each table directory once: a second entry would hold a second list of its files.
void check_unique_tables(const std::vector<TableEntry>& tables, const JsonPath& tables_path)
{
    using Key = std::tuple<std::string_view, std::string_view, std::string_view>; // views of `tables`
    std::map<Key, std::size_t> first_at;
    for (std::size_t i = 0; i < tables.size(); ++i) {
        const TableEntry& table = tables[i];
        auto [first, inserted] = first_at.emplace(Key(table.keyspace, table.table, table.directory), i);
        if (!inserted) {
            fail(tables_path[i],
                 fmt::format("table {}.{} in {} is listed twice on the node (first at tables[{}])", table.keyspace,
                             table.table, manifest_rules::shown(table.directory), first->second));
        }
    }
}

NodeArchive read_node_archive(const ManifestJson& json, const JsonPath& path)
{
    Fields fields(json, path);
    NodeArchive archive;
    archive.remote = fields.string("remote");
    archive.status = fields.choice("status", k_node_archive_statuses);
    archive.archived_at = fields.optional_timestamp("archived_at");
    archive.error = fields.optional_string("error");
    archive.files_sent = fields.optional_unsigned("files_sent").value_or(0);
    archive.bytes_sent = fields.optional_unsigned("bytes_sent").value_or(0);
    return archive;
}

NodeEntry read_node(const ManifestJson& json, const JsonPath& path)
{
    Fields fields(json, path);
    NodeEntry node;
    node.host = fields.string("host", manifest_rules::check_host);
    node.datacenter = fields.string("datacenter", manifest_rules::check_label);
    node.rack = fields.optional_string("rack", manifest_rules::check_label).value_or("");
    node.host_id = fields.optional_string("host_id", manifest_rules::check_host_id);
    node.cassandra_version = fields.optional_string("cassandra_version");
    node.tokens = fields.strings("tokens", manifest_rules::check_token);
    node.status = fields.choice("status", k_node_statuses);
    node.error = fields.optional_string("error");
    node.failed_step = fields.optional_string("failed_step");
    node.snapshot_at = fields.optional_timestamp("snapshot_at");
    node.flush_at = fields.optional_timestamp("flush_at");
    node.pruned_at = fields.optional_timestamp("pruned_at");
    node.duration_ms = fields.optional_integer("duration_ms");
    if (const ManifestJson* archive = fields.find("archive")) {
        node.archive = read_node_archive(*archive, path / "archive");
    }
    const ManifestJson& tables = fields.array("tables");
    auto tables_path = path / "tables";
    for (std::size_t i = 0; i < tables.size(); ++i) {
        node.tables.push_back(read_table(tables[i], tables_path[i]));
    }
    check_unique_tables(node.tables, tables_path);
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
                         !format               ? std::string("missing")
                         : format->is_string() ? manifest_rules::shown(format->get<std::string>())
                                               : type_of(*format),
                         k_manifest_format));
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
    return ManifestTotals{fields.unsigned_number("nodes"),  fields.unsigned_number("nodes_ok"),
                          fields.unsigned_number("tables"), fields.unsigned_number("files"),
                          fields.unsigned_number("bytes"),  fields.unsigned_number("bytes_hashed")};
}

SnapshotSpread read_spread(const ManifestJson& json, const JsonPath& path)
{
    Fields fields(json, path);
    return SnapshotSpread{fields.timestamp("first_at"), fields.timestamp("last_at")};
}

ManifestArchive read_archive(const ManifestJson& json, const JsonPath& path)
{
    Fields fields(json, path);
    ManifestArchive archive;
    archive.status = fields.choice("status", k_archive_statuses);
    archive.archived_at = fields.timestamp("archived_at");
    archive.remotes = fields.strings("remotes");
    archive.blobs = fields.optional_unsigned("blobs").value_or(0);
    archive.bytes = fields.optional_unsigned("bytes").value_or(0);
    archive.blobs_sent = fields.optional_unsigned("blobs_sent").value_or(0);
    archive.bytes_sent = fields.optional_unsigned("bytes_sent").value_or(0);
    return archive;
}

// Everything but the nodes. Returns whether the document carries totals (older or hand-written
// ones may not; they are then counted from the nodes).
bool read_header(const ManifestJson& json, Manifest& manifest)
{
    JsonPath root;
    Fields fields(json, root);
    manifest.format_version = read_format_version(fields);
    manifest.cluster = fields.string("cluster", manifest_rules::check_backup_name);
    manifest.kind = fields.choice("kind", k_kinds);
    manifest.tag = fields.string("tag", manifest_rules::check_backup_name);
    manifest.base = fields.optional_string("base", manifest_rules::check_backup_name);
    manifest.parent = fields.optional_string("parent", manifest_rules::check_backup_name);
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
    if (const ManifestJson* archive = fields.find("archive")) {
        manifest.archive = read_archive(*archive, root / "archive");
    }
    manifest.cleared_at = fields.optional_timestamp("cleared_at");
    manifest.expires_at = fields.optional_timestamp("expires_at");
    manifest.run_id = fields.optional_string("run_id").value_or("");
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
    return make_error(ErrorKind::parse,
                      fmt::format("{}: {}: {}", where, error.path.empty() ? "(document)" : error.path, error.message));
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
class StreamingReader
{
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
            return false; // drop its JSON: it lives on as a NodeEntry
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
class HeaderCollector : public nlohmann::json_sax<ManifestJson>
{
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
            return false; // stop: the rest is nodes
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

    std::vector<ManifestJson*> m_open; // the containers being filled, outermost first
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
            read_format_version(Fields(header, JsonPath{})); // a wrong format or version is final
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
    } catch (const FormatError& error) {
        if (error.refused_value) {
            return Result<ManifestSummary>(to_error(error, source)); // no key after "nodes" can mend it
        }
        return std::nullopt; // the header may go on after "nodes": the whole read decides
    }
}

} // namespace

Result<ManifestSummary> read_manifest_summary(std::istream& in, std::string_view source)
{
    HeaderCollector collector;
    ManifestJson::sax_parse(in, &collector);
    if (!collector.reached_nodes && !collector.syntax_error.empty()) {
        return make_error(ErrorKind::parse,
                          fmt::format("manifest {}: not valid JSON: {}", source, collector.syntax_error));
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
