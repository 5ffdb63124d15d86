// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/restore_record.hpp>

#include <algorithm>

#include <fmt/format.h>

#include <ringsnap/shell.hpp>

#include "core/manifest_rules.hpp"

namespace ringsnap {

namespace {

using Json = nlohmann::ordered_json;

constexpr const char* k_table_states[] = {"planned", "staged", "verified", "loading", "loaded", "failed"};
constexpr const char* k_restart_steps[] = {"none",   "stopped", "quarantining", "quarantined",
                                           "placed", "started", "undone"};
constexpr const char* k_statuses[] = {"running", "complete", "partial", "failed", "interrupted", "undone"};

template <class T> Json or_null(const std::optional<T>& value)
{
    return value ? Json(*value) : Json();
}

Json table_json(const RestoreTable& table)
{
    return Json{{"keyspace", table.keyspace},      {"table", table.table},
                {"state", to_string(table.state)}, {"files", table.files},
                {"sstables", table.sstables},      {"bytes", table.bytes},
                {"error", or_null(table.error)},   {"load_ms", or_null(table.load_ms)}};
}

Json node_json(const RestoreNode& node)
{
    Json tables = Json::array();
    for (const auto& table : node.tables) {
        tables.push_back(table_json(table));
    }
    Json json{{"host", node.host},       {"datacenter", node.datacenter},
              {"rack", node.rack},       {"source_host", node.source_host},
              {"host_id", node.host_id}, {"version", node.version},
              {"method", node.method},   {"staging", node.staging},
              {"cleaned", node.cleaned}, {"error", or_null(node.error)},
              {"tables", tables}};
    if (node.method == "restart") {
        json["restart"] = to_string(node.restart);
        json["quarantine"] = node.quarantine;
        json["quarantine_removed"] = node.quarantine_removed;
    }
    return json;
}

// Reads with the path of each key in errors, like the manifest reader.
class Reader
{
  public:
    explicit Reader(const Json& json, std::string path = "") : m_json(json), m_path(std::move(path)) {}

    Result<const Json*> field(const char* key, Json::value_t type) const
    {
        auto found = m_json.find(key);
        if (found == m_json.end() || found->type() != type) {
            return make_error(ErrorKind::parse, fmt::format("{}{}: missing or of the wrong type", m_path, key));
        }
        return &*found;
    }
    Result<std::string> string(const char* key) const
    {
        auto value = field(key, Json::value_t::string);
        if (!value) {
            return value.error();
        }
        return (*value)->get<std::string>();
    }
    std::optional<std::string> optional_string(const char* key) const
    {
        auto found = m_json.find(key);
        return found != m_json.end() && found->is_string() ? std::optional(found->get<std::string>()) : std::nullopt;
    }
    std::uint64_t number(const char* key) const
    {
        auto found = m_json.find(key);
        return found != m_json.end() && found->is_number_unsigned() ? found->get<std::uint64_t>() : 0;
    }
    bool boolean(const char* key) const
    {
        auto found = m_json.find(key);
        return found != m_json.end() && found->is_boolean() && found->get<bool>();
    }
    std::vector<std::string> strings(const char* key) const
    {
        std::vector<std::string> values;
        auto found = m_json.find(key);
        if (found != m_json.end() && found->is_array()) {
            for (const auto& item : *found) {
                if (item.is_string()) {
                    values.push_back(item.get<std::string>());
                }
            }
        }
        return values;
    }
    Error bad(const char* key, const Error& why) const
    {
        return make_error(ErrorKind::parse, fmt::format("{}{}: {}", m_path, key, why.message));
    }

  private:
    const Json& m_json;
    std::string m_path;
};

template <class Enum, std::size_t N>
Result<Enum> enum_from(const std::string& text, const char* const (&names)[N], const std::string& where)
{
    for (std::size_t i = 0; i < N; ++i) {
        if (text == names[i]) {
            return static_cast<Enum>(i);
        }
    }
    return make_error(ErrorKind::parse, fmt::format("{}: unknown value {}", where, quote_for_message(text)));
}

Result<RestoreTable> read_table(const Json& json, const std::string& path)
{
    Reader in(json, path);
    RestoreTable table;
    auto keyspace = in.string("keyspace");
    auto name = in.string("table");
    auto state = in.string("state");
    if (!keyspace || !name || !state) {
        return !keyspace ? keyspace.error() : !name ? name.error() : state.error();
    }
    if (auto valid = validate_cql_identifier(*keyspace, "keyspace"); !valid) {
        return in.bad("keyspace", valid.error());
    }
    if (auto valid = validate_cql_identifier(*name, "table"); !valid) {
        return in.bad("table", valid.error());
    }
    auto parsed = enum_from<TableState>(*state, k_table_states, path + "state");
    if (!parsed) {
        return parsed.error();
    }
    table.keyspace = *keyspace;
    table.table = *name;
    table.state = *parsed;
    table.files = in.number("files");
    table.sstables = in.number("sstables");
    table.bytes = in.number("bytes");
    table.error = in.optional_string("error");
    if (auto found = json.find("load_ms"); found != json.end() && found->is_number_integer()) {
        table.load_ms = found->get<std::int64_t>();
    }
    return table;
}

Result<RestoreNode> read_node(const Json& json, const std::string& path)
{
    Reader in(json, path);
    RestoreNode node;
    auto host = in.string("host");
    if (!host) {
        return host.error();
    }
    node.host = *host;
    node.datacenter = in.optional_string("datacenter").value_or("");
    node.rack = in.optional_string("rack").value_or("");
    node.source_host = in.optional_string("source_host").value_or("");
    node.host_id = in.optional_string("host_id").value_or("");
    node.version = in.optional_string("version").value_or("");
    if (auto problem = manifest_rules::check_host_id(node.host_id); problem && !node.host_id.empty()) {
        return make_error(ErrorKind::parse, fmt::format("{}host_id: {}", path, *problem));
    }
    if (auto problem = manifest_rules::check_label(node.version); problem) {
        return make_error(ErrorKind::parse, fmt::format("{}version: {}", path, *problem));
    }
    node.method = in.optional_string("method").value_or("");
    node.staging = in.strings("staging");
    node.cleaned = in.boolean("cleaned");
    node.error = in.optional_string("error");
    if (auto step = in.optional_string("restart")) {
        auto parsed = enum_from<RestartStep>(*step, k_restart_steps, path + "restart");
        if (!parsed) {
            return parsed.error();
        }
        node.restart = *parsed;
    }
    node.quarantine = in.strings("quarantine");
    node.quarantine_removed = in.boolean("quarantine_removed");
    if (auto tables = json.find("tables"); tables != json.end() && tables->is_array()) {
        for (std::size_t i = 0; i < tables->size(); ++i) {
            auto table = read_table((*tables)[i], fmt::format("{}tables[{}].", path, i));
            if (!table) {
                return table.error();
            }
            node.tables.push_back(std::move(*table));
        }
    }
    return node;
}

std::optional<Timestamp> read_time(const Reader& in, const char* key)
{
    auto text = in.optional_string(key);
    if (!text) {
        return std::nullopt;
    }
    auto time = parse_timestamp(*text);
    return time ? std::optional(*time) : std::nullopt;
}

// Row counts are a report, not a plan: a count that does not read as a number is left empty
// (the table's name is checked with the record's other names).
RowCount read_row_count(const Json& json)
{
    RowCount count;
    auto number = [&](const char* key) {
        auto found = json.find(key);
        return found != json.end() && found->is_number_unsigned() ? std::optional(found->get<std::uint64_t>())
                                                                  : std::nullopt;
    };
    if (json.is_object()) {
        count.table = json.value("table", "");
        count.target = number("target");
        count.source = number("source");
        if (auto error = json.find("error"); error != json.end() && error->is_string()) {
            count.error = error->get<std::string>();
        }
    }
    return count;
}

Status validate_names(const RestoreRecord& record)
{
    for (const auto& [what, name] : {std::pair<const char*, const std::string*>{"id", &record.id},
                                     {"tag", &record.tag},
                                     {"cluster", &record.cluster}}) {
        if (auto valid = validate_tag(*name); !valid) {
            return make_error(ErrorKind::parse, fmt::format("{}: {}", what, valid.error().message));
        }
    }
    for (const auto& backup : record.backups) {
        if (auto valid = validate_tag(backup); !valid) {
            return make_error(ErrorKind::parse, fmt::format("backups: {}", valid.error().message));
        }
    }
    if (!record.target.empty()) {
        if (auto valid = validate_tag(record.target); !valid) {
            return make_error(ErrorKind::parse, fmt::format("target: {}", valid.error().message));
        }
    }
    for (const auto& table : record.created) {
        if (auto valid = parse_keyspace_table(table); !valid) {
            return make_error(ErrorKind::parse, fmt::format("created: {}", valid.error().message));
        }
    }
    for (const auto& count : record.row_counts) {
        if (auto valid = parse_keyspace_table(count.table); !valid) {
            return make_error(ErrorKind::parse, fmt::format("row_counts: {}", valid.error().message));
        }
    }
    return {};
}

} // namespace

const char* to_string(RestartStep step)
{
    return k_restart_steps[static_cast<std::size_t>(step)];
}

const char* to_string(TableState state)
{
    return k_table_states[static_cast<std::size_t>(state)];
}

const char* to_string(RestoreStatus status)
{
    return k_statuses[static_cast<std::size_t>(status)];
}

RestoreNode* RestoreRecord::node(const std::string& host)
{
    auto found = std::find_if(nodes.begin(), nodes.end(), [&](const RestoreNode& n) { return n.host == host; });
    return found == nodes.end() ? nullptr : &*found;
}

const RestoreNode* RestoreRecord::node(const std::string& host) const
{
    return const_cast<RestoreRecord*>(this)->node(host);
}

bool RestoreRecord::same_request(const RestoreRecord& other) const
{
    return tag == other.tag && until == other.until && method == other.method && target == other.target &&
           host_map == other.host_map && rolling == other.rolling && truncate == other.truncate &&
           keyspaces == other.keyspaces && tables == other.tables && datacenters == other.datacenters &&
           hosts == other.hosts;
}

nlohmann::ordered_json to_json(const RestoreRecord& record)
{
    Json nodes = Json::array();
    for (const auto& node : record.nodes) {
        nodes.push_back(node_json(node));
    }
    Json counts = Json::array();
    for (const auto& count : record.row_counts) {
        counts.push_back(Json{{"table", count.table},
                              {"target", or_null(count.target)},
                              {"source", or_null(count.source)},
                              {"error", or_null(count.error)}});
    }
    return Json{{"format", k_restore_format},
                {"format_version", k_restore_format_version},
                {"id", record.id},
                {"cluster", record.cluster},
                {"tag", record.tag},
                {"backups", record.backups},
                {"until", record.until ? Json(format_timestamp(*record.until)) : Json()},
                {"method", record.method},
                {"target", record.target},
                {"host_map", record.host_map},
                {"rolling", record.rolling},
                {"truncate", record.truncate},
                {"keep_truncate_snapshots", record.keep_truncate_snapshots},
                {"keyspaces", record.keyspaces},
                {"tables", record.tables},
                {"datacenters", record.datacenters},
                {"hosts", record.hosts},
                {"status", to_string(record.status)},
                {"started_at", format_timestamp(record.started_at)},
                {"finished_at", record.finished_at ? Json(format_timestamp(*record.finished_at)) : Json()},
                {"truncated", record.truncated},
                {"created", record.created},
                {"row_counts", counts},
                {"nodes", nodes}};
}

Result<RestoreRecord> restore_record_from_json(const nlohmann::ordered_json& json)
{
    if (!json.is_object()) {
        return make_error(ErrorKind::parse, "not a JSON object");
    }
    Reader in(json);
    auto format = in.string("format");
    if (!format || *format != k_restore_format) {
        return make_error(ErrorKind::parse, fmt::format("format: expected \"{}\"", k_restore_format));
    }
    auto version = json.find("format_version");
    if (version == json.end() || !version->is_number_integer() || version->get<int>() < 1 ||
        version->get<int>() > k_restore_format_version) {
        return make_error(ErrorKind::parse, fmt::format("format_version: this ringsnap reads versions 1 to {}",
                                                        k_restore_format_version));
    }
    RestoreRecord record;
    auto id = in.string("id");
    auto cluster = in.string("cluster");
    auto tag = in.string("tag");
    auto status = in.string("status");
    auto started = in.string("started_at");
    if (!id || !cluster || !tag || !status || !started) {
        return !id        ? id.error()
               : !cluster ? cluster.error()
               : !tag     ? tag.error()
               : !status  ? status.error()
                          : started.error();
    }
    record.id = *id;
    record.cluster = *cluster;
    record.tag = *tag;
    auto parsed_status = enum_from<RestoreStatus>(*status, k_statuses, "status");
    auto started_at = parse_timestamp(*started);
    if (!parsed_status || !started_at) {
        return !parsed_status ? parsed_status.error() : in.bad("started_at", started_at.error());
    }
    record.status = *parsed_status;
    record.started_at = *started_at;
    record.finished_at = read_time(in, "finished_at");
    record.until = read_time(in, "until");
    record.backups = in.strings("backups");
    record.method = in.optional_string("method").value_or("auto");
    record.target = in.optional_string("target").value_or("");
    if (auto map = json.find("host_map"); map != json.end() && !map->is_null()) {
        if (!map->is_object()) {
            return make_error(ErrorKind::parse, "host_map: expected an object of host names");
        }
        for (const auto& [source, target] : map->items()) {
            if (!target.is_string()) {
                return make_error(ErrorKind::parse, fmt::format("host_map.{}: expected a host name", source));
            }
            record.host_map.emplace(source, target.get<std::string>());
        }
    }
    record.rolling = in.boolean("rolling");
    record.truncate = in.boolean("truncate");
    record.keep_truncate_snapshots = in.boolean("keep_truncate_snapshots");
    record.keyspaces = in.strings("keyspaces");
    record.tables = in.strings("tables");
    record.datacenters = in.strings("datacenters");
    record.hosts = in.strings("hosts");
    record.truncated = in.strings("truncated");
    record.created = in.strings("created");
    if (auto counts = json.find("row_counts"); counts != json.end() && counts->is_array()) {
        for (const auto& count : *counts) {
            record.row_counts.push_back(read_row_count(count));
        }
    }
    if (auto valid = validate_names(record); !valid) {
        return valid.error();
    }
    if (auto nodes = json.find("nodes"); nodes != json.end() && nodes->is_array()) {
        for (std::size_t i = 0; i < nodes->size(); ++i) {
            auto node = read_node((*nodes)[i], fmt::format("nodes[{}].", i));
            if (!node) {
                return node.error();
            }
            record.nodes.push_back(std::move(*node));
        }
    }
    return record;
}

} // namespace ringsnap
