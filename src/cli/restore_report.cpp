// SPDX-License-Identifier: Apache-2.0
#include "cli/restore_report.hpp"

#include <map>

#include <fmt/format.h>

#include <ringsnap/text_table.hpp>

namespace ringsnap::cli {

namespace {

std::string free_space(const ops::NodePlan& node)
{
    std::vector<std::string> parts;
    for (auto bytes : node.free_bytes) {
        parts.push_back(format_bytes(bytes));
    }
    return parts.empty() ? "?" : fmt::format("{}", fmt::join(parts, " / "));
}

std::string backups_line(const ops::RestorePlan& plan, const ops::RestoreRequest& request)
{
    std::string line = fmt::format("backup {}", plan.backups.front());
    if (plan.backups.size() > 1) {
        line += fmt::format(" + incrementals {}", fmt::join(plan.backups.begin() + 1, plan.backups.end(), ", "));
    }
    if (request.until) {
        line += fmt::format(", until {}", format_timestamp(*request.until));
    }
    return line;
}

std::string nodes_table(const ops::RestorePlan& plan)
{
    TextTable table({"DC", "HOST", "VERSION", "METHOD", "RESTORES (PAIRED BY)", "TABLES", "FILES", "SIZE", "FREE"});
    for (const auto& node : plan.nodes) {
        std::size_t files = 0;
        for (const auto& t : node.tables) {
            files += t.files.size();
        }
        std::string source = fmt::format("{} ({})", node.source_host, ops::to_string(node.paired_by));
        if (node.unreachable) {
            table.add_row({node.node.datacenter, node.node.host, "?", "-", source, "-", "-", "-",
                           "UNREACHABLE: " + *node.unreachable});
            continue;
        }
        table.add_row({node.node.datacenter, node.node.host, node.version, ops::to_string(node.method), source,
                       std::to_string(node.tables.size()), std::to_string(files), format_bytes(node.bytes),
                       free_space(node)});
    }
    return table.render();
}

std::string table_lines(const ops::NodePlan& node, bool verbose)
{
    std::string text;
    for (const auto& table : node.tables) {
        text += fmt::format("  {} {}.{}: {} SSTable(s), {} file(s), {}", node.node.host, table.keyspace, table.table,
                            table.sstables, table.files.size(), format_bytes(table.bytes));
        if (table.left_out) {
            text += fmt::format("; {} incremental SSTable(s) older than the base snapshot left out", table.left_out);
        }
        text += "\n";
        for (const auto& dir : table.stage_dirs) {
            text += fmt::format("      staged in {}\n", dir);
        }
        for (const auto& command : table.commands) {
            text += fmt::format("      runs {}\n", command);
        }
        if (verbose) {
            for (const auto& file : table.files) {
                text += fmt::format("      {} {} {} (from {})\n", file.name, file.size, file.sha256, file.backup);
            }
        }
    }
    return text;
}

// A restart's per-node commands and quarantine.
std::string node_lines(const ops::NodePlan& node)
{
    if (node.commands.empty()) {
        return "";
    }
    std::string text = fmt::format("  {}{}: the files it replaces go to {}\n", node.node.host,
                                   node.seed ? " (seed)" : "", fmt::join(node.quarantine, ", "));
    for (const auto& command : node.commands) {
        text += fmt::format("      runs {}\n", command);
    }
    return text;
}

// The target of an sstableloader restore.
std::string loader_lines(const ops::RestorePlan& plan, const ops::RestoreRequest& request)
{
    if (!plan.loader) {
        return "";
    }
    return fmt::format("Streams with sstableloader into {} (-d {}), {} source node(s) at a time per data center\n",
                       plan.loader->cluster.empty() ? "this cluster" : "cluster " + plan.loader->cluster,
                       fmt::join(plan.loader->addresses, ","), request.loaders_per_dc);
}

// What is created before anything is loaded: the first line of each statement, all with -v.
std::string schema_lines(const ops::RestorePlan& plan, bool verbose)
{
    std::string text;
    for (const auto& statement : plan.schema) {
        auto shown = verbose ? statement : statement.substr(0, statement.find('\n'));
        text += fmt::format("First, through cqlsh on {}: {}{}\n", plan.cql_host.value_or("?"), shown,
                            shown.size() < statement.size() ? " ..." : "");
    }
    return text;
}

struct TableSummary
{
    std::uint64_t files = 0;
    std::uint64_t bytes = 0;
    std::int64_t load_ms = 0; // the longest node: nodes load at once
    std::size_t nodes = 0;
    std::size_t loaded = 0;
    const RowCount* rows = nullptr;
};

// Per restored table, over every node: what CI asserts on.
std::map<std::string, TableSummary> table_summaries(const RestoreRecord& record)
{
    std::map<std::string, TableSummary> tables;
    for (const auto& node : record.nodes) {
        for (const auto& t : node.tables) {
            auto& summary = tables[t.keyspace + "." + t.table];
            summary.files += t.files;
            summary.bytes += t.bytes;
            summary.load_ms = std::max(summary.load_ms, t.load_ms.value_or(0));
            ++summary.nodes;
            summary.loaded += t.state == TableState::loaded ? 1 : 0;
        }
    }
    for (const auto& count : record.row_counts) {
        tables[count.table].rows = &count;
    }
    return tables;
}

std::string optional_count(const std::optional<std::uint64_t>& count)
{
    return count ? std::to_string(*count) : "-";
}

std::string row_count_lines(const RestoreRecord& record)
{
    if (record.row_counts.empty()) {
        return "";
    }
    TextTable table({"TABLE", "ROWS (TARGET, ALL)", "ROWS (SOURCE, ALL)", "RESULT"});
    for (const auto& count : record.row_counts) {
        table.add_row({count.table, optional_count(count.target), optional_count(count.source),
                       count.error       ? "not counted: " + *count.error
                       : count.differs() ? "DIFFERENT"
                       : count.source    ? "same"
                                         : "counted"});
    }
    return "\n" + table.render();
}

} // namespace

std::string render_restore_plan(const ops::RestorePlan& plan, const ops::RestoreRequest& request, bool verbose)
{
    std::string text = fmt::format(
        "Restore {} ({}): {} node(s), {} table(s), {} file(s), {}{}\n\n", plan.id, backups_line(plan, request),
        plan.nodes.size(), plan.tables.size(), plan.files, format_bytes(plan.bytes),
        request.truncate ? fmt::format("; TRUNCATE first, through cqlsh on {}", plan.cql_host.value_or("?")) : "");
    text += nodes_table(plan) + "\n";
    text += loader_lines(plan, request) + schema_lines(plan, verbose);
    if (!plan.start_order.empty()) {
        text += fmt::format("Stopped {}, then started in this order (seeds first): {}\n",
                            request.rolling ? "and started one node at a time" : "all before any starts",
                            fmt::join(plan.start_order, ", "));
    }
    for (const auto& node : plan.nodes) {
        text += node_lines(node);
        text += table_lines(node, verbose);
    }
    if (!verbose && plan.files > 0) {
        text += "  (-v lists every file with its size and SHA-256)\n";
    }
    for (const auto& warning : plan.warnings) {
        text += "WARNING: " + warning + "\n";
    }
    for (const auto& refusal : plan.refusals) {
        text += "REFUSED: " + refusal + "\n";
    }
    return text + "\n";
}

std::string render_restore(const ops::RestoreOutcome& outcome, const ops::RestoreRequest& request, bool verbose,
                           bool plan_shown)
{
    std::string text = plan_shown ? "" : render_restore_plan(outcome.plan, request, verbose);
    if (!outcome.plan.refusals.empty()) {
        return text + "Nothing was changed: the restore was refused (see REFUSED above).\n";
    }
    if (!outcome.record) {
        return text +
               (request.dry_run ? "Dry run: nothing was changed.\n" : "Interrupted before anything was changed.\n");
    }
    TextTable table({"DC", "HOST", "TABLE", "METHOD", "FILES", "SIZE", "LOAD TIME", "RESULT"});
    for (const auto& node : outcome.record->nodes) {
        for (const auto& t : node.tables) {
            std::string result = to_string(t.state);
            if (t.error) {
                result += ": " + *t.error;
            }
            table.add_row({node.datacenter, node.host, t.keyspace + "." + t.table, node.method, std::to_string(t.files),
                           format_bytes(t.bytes), t.load_ms ? fmt::format("{:.1f}s", *t.load_ms / 1000.0) : "-",
                           result});
        }
        if (node.tables.empty() || (node.error && std::none_of(node.tables.begin(), node.tables.end(),
                                                               [](const RestoreTable& t) { return t.error; }))) {
            if (node.error) {
                table.add_row({node.datacenter, node.host, "-", node.method, "-", "-", "-", "FAILED: " + *node.error});
            }
        }
    }
    text += table.render();
    text += row_count_lines(*outcome.record);
    for (const auto& mismatch : outcome.mismatches) {
        text += "MISMATCH: " + mismatch + "\n";
    }
    for (const auto& note : outcome.notes) {
        text += note + "\n";
    }
    return text + fmt::format("\nRestore {} {}{}. Record: {}\n", outcome.record->id, to_string(outcome.record->status),
                              outcome.resumed ? " (continued)" : "", outcome.record_path.string());
}

nlohmann::json restore_json(const ops::RestoreOutcome& outcome, const ops::RestoreRequest& request, bool with_steps)
{
    auto json = nlohmann::json{{"status", outcome.exit_code == exit_code::ok            ? "ok"
                                          : outcome.exit_code == exit_code::partial     ? "partial"
                                          : outcome.exit_code == exit_code::interrupted ? "interrupted"
                                          : outcome.exit_code == exit_code::mismatch    ? "mismatch"
                                                                                        : "failed"},
                               {"exit_code", outcome.exit_code},
                               {"nodes", nodes_json(outcome.runs, with_steps)}};
    const auto& plan = outcome.plan;
    auto nodes = nlohmann::json::array();
    for (const auto& node : plan.nodes) {
        auto tables = nlohmann::json::array();
        for (const auto& table : node.tables) {
            auto files = nlohmann::json::array();
            for (const auto& file : table.files) {
                files.push_back({{"name", file.name},
                                 {"size", file.size},
                                 {"sha256", file.sha256},
                                 {"backup", file.backup},
                                 {"source", file.source},
                                 {"staged", file.staged}});
            }
            tables.push_back({{"keyspace", table.keyspace},
                              {"table", table.table},
                              {"backup_table_id", table.backup_id},
                              {"live_table_id", table.live_id},
                              {"live_dirs", table.live_dirs},
                              {"stage_dirs", table.stage_dirs},
                              {"sstables", table.sstables},
                              {"bytes", table.bytes},
                              {"left_out", table.left_out},
                              {"commands", table.commands},
                              {"files", files}});
        }
        nodes.push_back({{"host", node.node.host},
                         {"datacenter", node.node.datacenter},
                         {"source_host", node.source_host},
                         {"paired_by", ops::to_string(node.paired_by)},
                         {"pairing_note", node.pairing_note},
                         {"version", node.version},
                         {"method", ops::to_string(node.method)},
                         {"staging", node.staging_roots},
                         {"free_bytes", node.free_bytes},
                         {"bytes", node.bytes},
                         {"unreachable", node.unreachable ? nlohmann::json(*node.unreachable) : nlohmann::json()},
                         {"seed", node.seed},
                         {"commitlog_dir", node.commitlog_dir ? nlohmann::json(*node.commitlog_dir) : nlohmann::json()},
                         {"quarantine", node.quarantine},
                         {"commands", node.commands},
                         {"tables", tables}});
    }
    json["plan"] = {{"id", plan.id},
                    {"tag", request.tag},
                    {"backups", plan.backups},
                    {"tables", plan.tables},
                    {"truncate", request.truncate},
                    {"cql_host", plan.cql_host.value_or("")},
                    {"source_cql_host", plan.source_cql_host.value_or("")},
                    {"loader", plan.loader ? nlohmann::json{{"cluster", plan.loader->cluster},
                                                            {"addresses", plan.loader->addresses}}
                                           : nlohmann::json()},
                    {"created", plan.created},
                    {"schema", plan.schema},
                    {"rolling", request.rolling},
                    {"start_order", plan.start_order},
                    {"files", plan.files},
                    {"bytes", plan.bytes},
                    {"warnings", plan.warnings},
                    {"refusals", plan.refusals},
                    {"nodes", nodes}};
    json["dry_run"] = request.dry_run;
    json["mismatches"] = outcome.mismatches;
    json["notes"] = outcome.notes;
    if (outcome.record) {
        json["restore"] = to_json(*outcome.record);
        json["record"] = outcome.record_path.string();
        json["resumed"] = outcome.resumed;
        auto tables = nlohmann::json::array();
        for (const auto& [name, summary] : table_summaries(*outcome.record)) {
            const auto* rows = summary.rows;
            tables.push_back({{"table", name},
                              {"files", summary.files},
                              {"bytes", summary.bytes},
                              {"duration_ms", summary.load_ms},
                              {"nodes", summary.nodes},
                              {"nodes_loaded", summary.loaded},
                              {"rows", rows && rows->target ? nlohmann::json(*rows->target) : nlohmann::json()},
                              {"source_rows", rows && rows->source ? nlohmann::json(*rows->source) : nlohmann::json()},
                              {"rows_match", rows && rows->source && rows->target ? nlohmann::json(!rows->differs())
                                                                                  : nlohmann::json()}});
        }
        json["tables"] = tables;
    }
    return json;
}

std::string render_quarantine_action(const ops::RestoreOutcome& outcome, const ops::QuarantineRequest& request)
{
    bool undo = request.action == ops::QuarantineAction::undo;
    TextTable table({"DC", "HOST", "STEP", "QUARANTINE", "RESULT"});
    for (const auto& run : outcome.runs) {
        const auto* node = outcome.record ? outcome.record->node(run.node.host) : nullptr;
        table.add_row(
            {run.node.datacenter, run.node.host, node ? to_string(node->restart) : "?",
             node && !node->quarantine_removed ? fmt::format("{}", fmt::join(node->quarantine, ", ")) : "removed",
             run.ok() ? (undo ? "files put back, node up" : "quarantine removed")
                      : "FAILED: " + (run.error ? run.error->message : std::string("not reached"))});
    }
    return table.render() + fmt::format("\n{} of restore {}: {}. Record: {}\n", undo ? "Undo" : "Cleanup",
                                        request.restore_id, to_string(outcome.status), outcome.record_path.string());
}

nlohmann::json quarantine_action_json(const ops::RestoreOutcome& outcome, const ops::QuarantineRequest& request,
                                      bool with_steps)
{
    auto json = nlohmann::json{{"status", to_string(outcome.status)},
                               {"exit_code", outcome.exit_code},
                               {"action", request.action == ops::QuarantineAction::undo ? "undo" : "cleanup"},
                               {"restore_id", request.restore_id},
                               {"nodes", nodes_json(outcome.runs, with_steps)}};
    if (outcome.record) {
        json["restore"] = to_json(*outcome.record);
        json["record"] = outcome.record_path.string();
    }
    return json;
}

std::string render_restores(const RestoreListing& listing)
{
    if (listing.records.empty()) {
        return "No restores in the catalog.\n";
    }
    TextTable table({"ID", "BACKUP", "STARTED", "STATUS", "METHOD", "TRUNCATE", "NODES", "TABLES LOADED"});
    for (const auto& record : listing.records) {
        std::size_t loaded = 0, total = 0;
        for (const auto& node : record.nodes) {
            for (const auto& t : node.tables) {
                ++total;
                loaded += t.state == TableState::loaded ? 1 : 0;
            }
        }
        table.add_row({record.id, record.tag, format_timestamp(record.started_at), to_string(record.status),
                       record.method, record.truncate ? "yes" : "no", std::to_string(record.nodes.size()),
                       fmt::format("{}/{}", loaded, total)});
    }
    return table.render();
}

nlohmann::json restores_json(const RestoreListing& listing)
{
    auto json = nlohmann::json::array();
    for (const auto& record : listing.records) {
        json.push_back(nlohmann::json::parse(to_json(record).dump()));
    }
    return json;
}

} // namespace ringsnap::cli
