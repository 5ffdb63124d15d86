// SPDX-License-Identifier: Apache-2.0
// The manifest's JSON mapping, writing side: the document built key by key, so that the format
// can be read off this file next to docs/manifest.md (manifest_reader.cpp is the other side). A
// manifest of a large cluster holds hundreds of thousands of file entries, so write_manifest
// streams it one node at a time rather than through one JSON tree of the whole document.

#include <ringsnap/manifest_json.hpp>

#include <algorithm>
#include <iterator>
#include <ostream>

#include <fmt/format.h>

namespace ringsnap {

// --- To JSON: one function per object of the document, keys in documented order ---

namespace {

template <class T> ManifestJson or_null(const std::optional<T>& value)
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

ManifestJson node_archive_json(const NodeArchive& archive)
{
    return ManifestJson{{"remote", archive.remote},
                        {"status", to_string(archive.status)},
                        {"archived_at", or_null(archive.archived_at)},
                        {"error", or_null(archive.error)},
                        {"files_sent", archive.files_sent},
                        {"bytes_sent", archive.bytes_sent}};
}

// Everything but "tables", which comes last. "archive" only once the node's files were archived:
// documents of unarchived backups stay as they always were.
ManifestJson node_header_json(const NodeEntry& node)
{
    ManifestJson json{{"host", node.host},
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
    if (node.archive) {
        json["archive"] = node_archive_json(*node.archive);
    }
    return json;
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
    return ManifestJson{{"nodes", totals.nodes}, {"nodes_ok", totals.nodes_ok}, {"tables", totals.tables},
                        {"files", totals.files}, {"bytes", totals.bytes},       {"bytes_hashed", totals.bytes_hashed}};
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

ManifestJson archive_json(const ManifestArchive& archive)
{
    return ManifestJson{{"status", to_string(archive.status)},
                        {"archived_at", format_timestamp(archive.archived_at)},
                        {"remotes", archive.remotes},
                        {"blobs", archive.blobs},
                        {"bytes", archive.bytes},
                        {"blobs_sent", archive.blobs_sent},
                        {"bytes_sent", archive.bytes_sent}};
}

// Everything but "nodes", which comes last so that a reader can stop before it. "archive",
// "cleared_at", "expires_at" and "run_id" only when there is something to say.
ManifestJson header_json(const Manifest& manifest)
{
    ManifestJson json{{"format", k_manifest_format},
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
    if (manifest.archive) {
        json["archive"] = archive_json(*manifest.archive);
    }
    if (manifest.cleared_at) {
        json["cleared_at"] = format_timestamp(*manifest.cleared_at);
    }
    if (manifest.expires_at) {
        json["expires_at"] = format_timestamp(*manifest.expires_at);
    }
    if (!manifest.run_id.empty()) {
        json["run_id"] = manifest.run_id;
    }
    return json;
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
        line += compact(ManifestJson(text)); // escapes, and replaces bytes that are not UTF-8
        return;
    }
    line += '"';
    line += text;
    line += '"';
}

template <class Number> void append_number(std::string& line, const std::optional<Number>& number)
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

} // namespace ringsnap
