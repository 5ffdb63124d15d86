// SPDX-License-Identifier: Apache-2.0
// `ringsnap verify TAG`

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <ringsnap/ops/archive.hpp>
#include <ringsnap/ops/verify.hpp>
#include <ringsnap/shell.hpp>
#include <ringsnap/text_table.hpp>

#include "cli/backup_report.hpp"
#include "cli/commands.hpp"
#include "cli/progress.hpp"

namespace ringsnap::cli {

namespace {

// The last line says only what was compared: "match" is never said of a node that was not read.
std::string summary(const ops::VerifyOutcome& outcome, const std::string& tag)
{
    const auto& result = outcome.result;
    std::size_t nodes_checked = 0, files_checked = 0;
    std::vector<std::string> unchecked;
    for (std::size_t i = 0; i < result.runs.size(); ++i) {
        if (result.runs[i].ok()) {
            ++nodes_checked;
            files_checked += result.files_checked[i];
        } else {
            unchecked.push_back(result.runs[i].node.host);
        }
    }
    std::string text;
    if (!result.mismatches.empty()) {
        text = fmt::format("{}: {} mismatch(es) in {} file(s) of {} node(s) checked.", tag, result.mismatches.size(),
                           files_checked, nodes_checked);
    } else if (nodes_checked == 0) {
        text = fmt::format("{}: nothing was checked: no node could be read.", tag);
    } else {
        text = fmt::format("{}: {} file(s) of {} node(s) checked: they match the manifest.", tag, files_checked,
                           nodes_checked);
    }
    if (!unchecked.empty()) {
        text += fmt::format(" NOT checked: {} ({} of {} node(s)).", fmt::join(unchecked, ", "), unchecked.size(),
                            result.runs.size());
    }
    return text + "\n";
}

std::string render(const ops::VerifyOutcome& outcome, const std::string& tag)
{
    const auto& result = outcome.result;
    TextTable table({"DC", "HOST", "FILES", "MISMATCHES", "RESULT"});
    for (std::size_t i = 0; i < result.runs.size(); ++i) {
        const auto& run = result.runs[i];
        auto count = std::count_if(result.mismatches.begin(), result.mismatches.end(),
                                   [&](const ops::Mismatch& m) { return m.host == run.node.host; });
        std::string verdict = run.error ? "NOT CHECKED: " + describe(*run.error) : (count == 0 ? "ok" : "MISMATCH");
        table.add_row({run.node.datacenter, run.node.host, run.error ? "-" : std::to_string(result.files_checked[i]),
                       run.error ? "-" : std::to_string(count), verdict});
    }
    std::string text = table.render();
    for (const auto& mismatch : result.mismatches) {
        text += fmt::format("{}: {}: {}\n", mismatch.host, mismatch.path, mismatch.reason);
    }
    for (const auto& skipped : outcome.skipped) {
        text += fmt::format("skipped {}\n", skipped);
    }
    return text + "\n" + summary(outcome, tag);
}

nlohmann::json outcome_json(const ops::VerifyOutcome& outcome, const std::string& tag, bool with_steps)
{
    const auto& result = outcome.result;
    auto json = run_summary_json(outcome.status, result.runs, with_steps);
    json["exit_code"] = outcome.exit_code;
    if (outcome.exit_code == exit_code::mismatch) {
        json["status"] = "failed";
    }
    json["tag"] = tag;
    std::size_t files = 0, nodes = 0;
    for (std::size_t i = 0; i < result.runs.size(); ++i) {
        json["nodes"][i]["files_checked"] =
            result.runs[i].ok() ? nlohmann::json(result.files_checked[i]) : nlohmann::json();
        files += result.runs[i].ok() ? result.files_checked[i] : 0;
        nodes += result.runs[i].ok() ? 1 : 0;
    }
    json["checked"] = {{"nodes", nodes}, {"files", files}, {"nodes_not_checked", result.runs.size() - nodes}};
    json["skipped"] = outcome.skipped;
    json["mismatches"] = nlohmann::json::array();
    for (const auto& mismatch : result.mismatches) {
        json["mismatches"].push_back({{"host", mismatch.host}, {"path", mismatch.path}, {"reason", mismatch.reason}});
    }
    return json;
}

std::string render_archive_check(const ops::ArchiveVerifyOutcome& outcome, const ops::ArchiveVerifyRequest& request)
{
    std::string text;
    for (const auto& problem : outcome.problems) {
        text += fmt::format("blob {} ({}): {}\n", problem.blob, problem.where, problem.reason);
    }
    for (const auto& error : outcome.errors) {
        text += fmt::format("NOT checked: {}\n", error);
    }
    std::string deep = request.deep ? fmt::format(", {} read back and hashed", outcome.blobs_hashed) : "";
    std::string verdict = outcome.problems.empty()
                              ? "present at their recorded size" + std::string(request.deep ? " and content" : "")
                              : fmt::format("{} problem(s)", outcome.problems.size());
    return text + fmt::format("{} in {}: {} of {} blob(s) checked{}: {}.\n", request.tag,
                              fmt::join(outcome.roots, ", "), outcome.blobs_checked, outcome.blobs, deep, verdict);
}

int run_verify_archive(Context& context, const ops::ArchiveVerifyRequest& request)
{
    auto target = select_with_catalog(context);
    if (!target) {
        return context.refuse(target.error());
    }
    auto& [selection, catalog] = *target;
    auto outcome = ops::verify_archive(context.executor(), catalog, selection.nodes, request);
    if (!outcome) {
        return context.refuse(outcome.error());
    }
    nlohmann::json problems = nlohmann::json::array();
    for (const auto& problem : outcome->problems) {
        problems.push_back({{"blob", problem.blob}, {"where", problem.where}, {"reason", problem.reason}});
    }
    nlohmann::json json{{"status", outcome->exit_code == exit_code::mismatch ? "failed" : to_string(outcome->status)},
                        {"exit_code", outcome->exit_code},
                        {"tag", request.tag},
                        {"archive", outcome->roots},
                        {"deep", request.deep},
                        {"blobs", outcome->blobs},
                        {"blobs_checked", outcome->blobs_checked},
                        {"blobs_hashed", outcome->blobs_hashed},
                        {"problems", problems},
                        {"errors", outcome->errors},
                        {"nodes", nlohmann::json::array()}};
    context.emit(render_archive_check(*outcome, request), json);
    return outcome->exit_code;
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
    ProgressObserver observer(context.executor());
    auto outcome = ops::run_verify(context.executor(), catalog, selection.nodes, tag, observer);
    if (!outcome) {
        return context.refuse(outcome.error());
    }
    context.emit(render(*outcome, tag), outcome_json(*outcome, tag, context.options().verbose > 0));
    return outcome->exit_code;
}

} // namespace

void add_verify_command(CLI::App& app, Action& action)
{
    auto tag = std::make_shared<std::string>();
    auto archive = std::make_shared<ops::ArchiveVerifyRequest>();
    auto* verify = app.add_subcommand("verify", "Compare the nodes' files (or the archive's) with a backup's manifest");
    verify->add_option("tag", *tag, "The backup's tag")->type_name("TAG")->required();
    auto in_archive_flag = std::make_shared<bool>(false);
    auto* in_archive = verify->add_flag("--archive", *in_archive_flag,
                                        "Check the archive instead of the nodes: every blob the backup "
                                        "references is there at its recorded size");
    auto* deep = verify->add_flag("--deep", archive->deep,
                                  "With --archive: also download the blobs and compare their SHA-256 with their name "
                                  "(storage egress and retrieval fees apply)");
    deep->needs(in_archive);
    verify->add_option("--sample", archive->sample_percent, "With --deep: hash this percentage of the blobs, at random")
        ->type_name("PERCENT")
        ->check(CLI::Range(1, 100))
        ->needs(deep)
        ->default_val(100);
    verify->footer(
        "Lists the backup's files on every node that recorded its part and hashes them all there:\n"
        "a file missing, of another size or SHA-256, or (snapshots) not in the manifest is a\n"
        "mismatch. An incremental's files are checked among the others of backups/; nodes whose\n"
        "files were pruned are skipped. The summary says how many nodes and files were checked\n"
        "and names the nodes that could not be.\n"
        "--archive: one listing per archive root (no download) finds every blob at its size; --deep\n"
        "[--sample N] reads back all (or N% of) the blobs through rclone and hashes them.\n"
        "Exit 0 all match, 4 a mismatch, 1 some nodes (or archive roots) could not be checked, 3 none could.");
    verify->callback([tag, archive, in_archive_flag, &action] {
        bool check_archive = *in_archive_flag;
        action = [tag, archive, check_archive](Context& context) {
            if (auto valid = validate_tag(*tag); !valid) {
                return context.refuse(valid.error());
            }
            if (check_archive) {
                archive->tag = *tag;
                return run_verify_archive(context, *archive);
            }
            return run_verify(context, *tag);
        };
    });
}

} // namespace ringsnap::cli
