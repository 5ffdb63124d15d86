// SPDX-License-Identifier: Apache-2.0
// `ringsnap verify TAG`

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <ringsnap/cancel.hpp>
#include <ringsnap/catalog.hpp>
#include <ringsnap/ops/verify.hpp>
#include <ringsnap/shell.hpp>
#include <ringsnap/text_table.hpp>

#include "cli/backup_report.hpp"
#include "cli/commands.hpp"
#include "cli/progress.hpp"

namespace ringsnap::cli {

namespace {

// The backup's nodes that succeeded and are among the selected ones, paired with their entries.
// Nodes whose files were pruned on purpose are left out, and said so.
void pair_nodes(const Manifest& manifest, const std::vector<Node>& selected, std::vector<Node>& nodes,
                std::vector<NodeEntry>& recorded)
{
    for (const auto& entry : manifest.nodes) {
        auto node = std::find_if(selected.begin(), selected.end(), [&](const Node& n) { return n.host == entry.host; });
        if (entry.pruned_at) {
            spdlog::info("[{}] not checked: its files of {} were pruned at {}", entry.host, manifest.tag,
                         format_timestamp(*entry.pruned_at));
        } else if (entry.status == NodeStatus::ok && node != selected.end()) {
            nodes.push_back(*node);
            recorded.push_back(entry);
        }
    }
}

std::string render(const ops::VerifyResult& result, const std::string& tag)
{
    TextTable table({"DC", "HOST", "FILES", "MISMATCHES", "RESULT"});
    for (std::size_t i = 0; i < result.runs.size(); ++i) {
        const auto& run = result.runs[i];
        auto count = std::count_if(result.mismatches.begin(), result.mismatches.end(),
                                   [&](const ops::Mismatch& m) { return m.host == run.node.host; });
        std::string outcome = run.error ? describe(*run.error) : (count == 0 ? "ok" : "MISMATCH");
        table.add_row({run.node.datacenter, run.node.host, std::to_string(result.files_checked[i]),
                       std::to_string(count), outcome});
    }
    std::string text = table.render();
    for (const auto& mismatch : result.mismatches) {
        text += fmt::format("{}: {}: {}\n", mismatch.host, mismatch.path, mismatch.reason);
    }
    text += result.mismatches.empty() ? fmt::format("\n{}: the nodes' files match the manifest.\n", tag)
                                      : fmt::format("\n{}: {} mismatch(es).\n", tag, result.mismatches.size());
    return text;
}

int run_verify(Context& context, const std::string& tag)
{
    if (auto valid = validate_tag(tag); !valid) {
        return context.refuse(valid.error());
    }
    auto target = select_with_catalog(context);
    if (!target) {
        return context.refuse(target.error());
    }
    auto& [selection, catalog] = *target;
    auto manifest = catalog.load(tag);
    if (!manifest) {
        return context.refuse(manifest.error());
    }
    std::vector<Node> nodes;
    std::vector<NodeEntry> recorded;
    pair_nodes(*manifest, selection.nodes, nodes, recorded);
    if (nodes.empty()) {
        return context.refuse(make_error(ErrorKind::usage, fmt::format("no selected node holds a part of {} (nodes "
                                                                       "whose files were pruned are not checked)",
                                                                       tag)));
    }
    auto result = [&] {
        Progress progress(context.executor(), "verify", nodes);
        return ops::verify_backup(context.executor(), nodes, recorded, *manifest);
    }();
    auto status = summarize(result.runs, cancel_requested());
    int code = result.mismatches.empty() || status == RunStatus::interrupted ? exit_code_for(status) : exit_code::mismatch;
    auto json = run_summary_json(status, result.runs, context.options().verbose > 0);
    json["exit_code"] = code;
    if (code == exit_code::mismatch) {
        json["status"] = "failed";
    }
    json["tag"] = tag;
    json["mismatches"] = nlohmann::json::array();
    for (const auto& mismatch : result.mismatches) {
        json["mismatches"].push_back({{"host", mismatch.host}, {"path", mismatch.path}, {"reason", mismatch.reason}});
    }
    context.emit(render(result, tag), json);
    return code;
}

} // namespace

void add_verify_command(CLI::App& app, Action& action)
{
    auto tag = std::make_shared<std::string>();
    auto* verify = app.add_subcommand("verify", "Compare the nodes' files with a backup's manifest");
    verify->add_option("tag", *tag, "The backup's tag")->required();
    verify->footer("Lists the backup's files on every node that recorded its part and hashes them all there:\n"
                   "a file missing, of another size or SHA-256, or (snapshots) not in the manifest is a\n"
                   "mismatch. An incremental's files are checked among the others of backups/; nodes whose\n"
                   "files were pruned are skipped.\n"
                   "Exit 0 all match, 4 a mismatch, 1 some nodes could not be checked, 3 none could.");
    verify->callback([tag, &action] {
        action = [tag](Context& context) { return run_verify(context, *tag); };
    });
}

} // namespace ringsnap::cli
