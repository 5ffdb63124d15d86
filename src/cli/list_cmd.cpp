// SPDX-License-Identifier: Apache-2.0
// `ringsnap list [--live]`

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <ringsnap/catalog.hpp>
#include <ringsnap/ops/backup_run.hpp>
#include <ringsnap/ops/chain.hpp>
#include <ringsnap/ops/live.hpp>
#include <ringsnap/text_table.hpp>

#include "cli/backup_report.hpp"
#include "cli/commands.hpp"
#include "cli/progress.hpp"
#include "cli/restore_report.hpp"

namespace ringsnap::cli {

namespace {

// The item of `items` about backup `tag`, or nullptr.
template <typename Item> const Item* find_by_tag(const std::vector<Item>& items, const std::string& tag)
{
    auto found = std::find_if(items.begin(), items.end(), [&](const Item& item) { return item.tag == tag; });
    return found == items.end() ? nullptr : &*found;
}

const ops::BackupPresence* presence_of(const ops::LiveView* live, const std::string& tag)
{
    return live ? find_by_tag(live->comparison.backups, tag) : nullptr;
}

// "billing.invoices, billing.customers" or, for many, the first few and how many more.
std::string some_tables(const std::vector<std::string>& tables)
{
    constexpr std::size_t k_shown = 3;
    if (tables.size() <= k_shown) {
        return fmt::format("{}", fmt::join(tables, ", "));
    }
    return fmt::format("{}, and {} more tables", fmt::join(tables.begin(), tables.begin() + k_shown, ", "),
                       tables.size() - k_shown);
}

// "every node", or "2 nodes: h1, h2", or "5 nodes: h1, h2, h3, and 2 more".
std::string some_hosts(const std::vector<std::string>& hosts, std::size_t nodes)
{
    constexpr std::size_t k_shown = 3;
    if (hosts.size() == nodes && nodes > 1) {
        return fmt::format("all {} nodes", nodes);
    }
    auto count = fmt::format("{} node{}", hosts.size(), hosts.size() == 1 ? "" : "s");
    if (hosts.size() <= k_shown) {
        return fmt::format("{}: {}", count, fmt::join(hosts, ", "));
    }
    return fmt::format("{}: {}, and {} more", count, fmt::join(hosts.begin(), hosts.begin() + k_shown, ", "),
                       hosts.size() - k_shown);
}

// What is wrong in the catalog: files that are no readable manifest (each named, with why), and
// incrementals of impossible chains. Shown with the listing, so that nothing passes unnoticed.
struct ListingProblem
{
    std::string subject; // a file's path, or a backup's tag
    std::string problem;
};

std::vector<ListingProblem> problems_of(const CatalogListing& listing)
{
    std::vector<ListingProblem> problems;
    for (const auto& problem : listing.problems) {
        problems.push_back({problem.path.string(), problem.error.message});
    }
    for (const auto& problem : ops::chain_problems(listing)) {
        problems.push_back({problem.tag, "impossible chain: " + problem.problem});
    }
    return problems;
}

std::string render_problems(const std::vector<ListingProblem>& problems)
{
    if (problems.empty()) {
        return {};
    }
    std::string text = fmt::format("\n{} problem(s) in the catalog:\n", problems.size());
    for (const auto& problem : problems) {
        // A file's error names the file already; a tag is named here.
        text += problem.problem.find(problem.subject) == std::string::npos
                    ? fmt::format("  {}: {}\n", problem.subject, problem.problem)
                    : fmt::format("  {}\n", problem.problem);
    }
    return text;
}

nlohmann::json problems_json(const std::vector<ListingProblem>& problems)
{
    auto json = nlohmann::json::array();
    for (const auto& problem : problems) {
        json.push_back({{"subject", problem.subject}, {"problem", problem.problem}});
    }
    return json;
}

// Where the backup's files are at `now`: "nodes", "archive", "nodes+archive"; "archive(partial)"
// when some nodes' parts did not reach it; "expired" when Cassandra removed them (snapshot --ttl)
// and no archive holds them.
std::string location_of(const ManifestSummary& backup, Timestamp now)
{
    std::vector<std::string> places;
    if (!ops::off_the_nodes(backup, now)) {
        places.emplace_back("nodes");
    }
    if (ops::in_archive(backup)) {
        places.emplace_back(backup.archive->status == ManifestStatus::complete ? "archive" : "archive(partial)");
    }
    if (places.empty()) {
        return backup.expires_at && !backup.cleared_at ? "expired" : "-";
    }
    return fmt::format("{}", fmt::join(places, "+"));
}

// The last column of --live: where the nodes that answered hold the snapshot.
std::string live_column(const ops::BackupPresence& presence)
{
    if (!presence.refused.empty()) {
        return "REFUSED: " + presence.refused;
    }
    if (presence.expired) {
        return presence.holding.empty() ? "expired: removed"
                                        : fmt::format("expired: still on {} node(s)", presence.holding.size());
    }
    return presence.gone.empty() ? fmt::format("on {} node(s)", presence.holding.size())
                                 : fmt::format("GONE from {}", fmt::join(presence.gone, ", "));
}

// The backups whose run was interrupted, by tag.
using Interrupted = std::vector<ops::InterruptedRun>;

std::string status_shown(const ManifestSummary& backup, const Interrupted& interrupted)
{
    return find_by_tag(interrupted, backup.tag) ? "interrupted" : to_string(backup.status);
}

std::string render_interrupted(const Interrupted& interrupted)
{
    std::string text;
    for (const auto& run : interrupted) {
        text += fmt::format(
            "\n{} was interrupted (last recorded {}): done on {} node(s), failed on {}, unfinished "
            "on {}{}.\n  `ringsnap clear --tag {}` removes what it left on the nodes.\n",
            run.tag, format_timestamp(run.last_recorded), run.done.size(), run.failed.size(), run.unfinished.size(),
            run.unfinished.empty() ? "" : fmt::format(" ({})", fmt::join(run.unfinished, ", ")), run.tag);
    }
    return text;
}

std::string render(const CatalogListing& listing, const Interrupted& interrupted, const ops::LiveView* live)
{
    auto now = now_utc();
    std::vector<std::string> headers{"TAG", "KIND", "STARTED", "STATUS", "NODES", "FILES", "SIZE", "BASE", "WHERE"};
    if (live) {
        headers.emplace_back("ON THE NODES NOW");
    }
    TextTable table(headers);
    for (const auto& backup : listing.manifests) {
        std::vector<std::string> row{backup.tag,
                                     to_string(backup.kind),
                                     format_timestamp(backup.started_at),
                                     status_shown(backup, interrupted),
                                     fmt::format("{}/{}", backup.totals.nodes_ok, backup.totals.nodes),
                                     std::to_string(backup.totals.files),
                                     format_bytes(backup.totals.bytes),
                                     backup.base.value_or("-"),
                                     location_of(backup, now)};
        if (const auto* presence = presence_of(live, backup.tag)) {
            row.push_back(live_column(*presence));
        } else if (live) {
            row.emplace_back("-");
        }
        table.add_row(std::move(row));
    }
    std::string text = listing.manifests.empty() ? "No backups in the catalog.\n" : table.render();
    text += render_interrupted(interrupted);
    text += render_problems(problems_of(listing));
    if (live) {
        text += fmt::format("\n{} of {} node(s) answered `nodetool listsnapshots`.\n", live->answered,
                            live->nodes.runs.size());
        for (const auto& unknown : live->comparison.unknown) {
            text += fmt::format("snapshot {} is not in the catalog: on {} ({})\n", unknown.tag,
                                some_hosts(unknown.hosts, live->nodes.runs.size()), some_tables(unknown.tables));
        }
    }
    return text;
}

nlohmann::json backups_json(const CatalogListing& listing, const Interrupted& interrupted, const ops::LiveView* live)
{
    auto now = now_utc();
    auto json = nlohmann::json::array();
    for (const auto& backup : listing.manifests) {
        nlohmann::json entry{
            {"tag", backup.tag},
            {"kind", to_string(backup.kind)},
            {"status", status_shown(backup, interrupted)},
            {"started_at", format_timestamp(backup.started_at)},
            {"finished_at", format_timestamp(backup.finished_at)},
            {"base", backup.base ? nlohmann::json(*backup.base) : nlohmann::json()},
            {"parent", backup.parent ? nlohmann::json(*backup.parent) : nlohmann::json()},
            {"nodes", backup.totals.nodes},
            {"nodes_ok", backup.totals.nodes_ok},
            {"files", backup.totals.files},
            {"bytes", backup.totals.bytes},
            {"on_nodes", !ops::off_the_nodes(backup, now)},
            {"expires_at", backup.expires_at ? nlohmann::json(format_timestamp(*backup.expires_at)) : nlohmann::json()},
            {"archive", backup.archive ? nlohmann::json(to_string(backup.archive->status)) : nlohmann::json()},
            {"where", location_of(backup, now)}};
        if (const auto* run = find_by_tag(interrupted, backup.tag)) {
            entry["interrupted"] = {{"last_recorded", format_timestamp(run->last_recorded)},
                                    {"done", run->done},
                                    {"failed", run->failed},
                                    {"unfinished", run->unfinished}};
        }
        if (const auto* presence = presence_of(live, backup.tag)) {
            entry["live"] = {{"holding", presence->holding}, {"gone", presence->gone}, {"expired", presence->expired}};
            if (!presence->refused.empty()) {
                entry["live"]["refused"] = presence->refused;
            }
        }
        json.push_back(std::move(entry));
    }
    return json;
}

int run_list_restores(Context& context)
{
    auto catalog = open_catalog(context);
    if (!catalog) {
        return context.refuse(catalog.error());
    }
    auto listing = catalog->list_restores();
    if (!listing) {
        return context.refuse(listing.error());
    }
    for (const auto& problem : listing->problems) {
        spdlog::warn("cannot read {}: {}", problem.path.string(), problem.error.message);
    }
    context.emit(render_restores(*listing), nlohmann::json{{"status", "ok"},
                                                           {"exit_code", 0},
                                                           {"nodes", nlohmann::json::array()},
                                                           {"restores", restores_json(*listing)}});
    return exit_code::ok;
}

int run_list(Context& context, bool with_live)
{
    auto catalog = open_catalog(context);
    if (!catalog) {
        return context.refuse(catalog.error());
    }
    auto listing = catalog->list();
    if (!listing) {
        return context.refuse(listing.error());
    }
    auto interrupted = ops::interrupted_runs(*catalog, *listing, CatalogLock::holder(*catalog));
    if (!with_live) {
        nlohmann::json json{{"status", "ok"},
                            {"exit_code", 0},
                            {"nodes", nlohmann::json::array()},
                            {"backups", backups_json(*listing, interrupted, nullptr)},
                            {"problems", problems_json(problems_of(*listing))}};
        context.emit(render(*listing, interrupted, nullptr), json);
        return exit_code::ok;
    }
    auto nodes = context.selected_nodes(); // only now: without --live, --seed is never reached
    if (!nodes) {
        return context.refuse(nodes.error());
    }
    ProgressObserver observer(context.executor());
    auto live = ops::run_list_live(context.executor(), *catalog, *listing, *nodes, observer);
    if (!live) {
        return context.refuse(live.error());
    }
    int code = live->exit_code;
    auto json = run_summary_json(live->status, live->nodes.runs, context.options().verbose > 0);
    json["exit_code"] = code;
    json["backups"] = backups_json(*listing, interrupted, &*live);
    json["problems"] = problems_json(problems_of(*listing));
    json["unknown_snapshots"] = nlohmann::json::array();
    for (const auto& unknown : live->comparison.unknown) {
        json["unknown_snapshots"].push_back({{"tag", unknown.tag},
                                             {"nodes", unknown.hosts.size()},
                                             {"hosts", unknown.hosts},
                                             {"tables", unknown.tables}});
    }
    context.emit(render(*listing, interrupted, &*live), json);
    return code;
}

} // namespace

void add_list_command(CLI::App& app, Action& action)
{
    auto live = std::make_shared<bool>(false);
    auto restores = std::make_shared<bool>(false);
    auto* list = app.add_subcommand("list", "List the backups in the catalog (--live: the snapshots on the nodes too)");
    list->add_flag("--live", *live, "Also run `nodetool listsnapshots` on every node and compare");
    list->add_flag("--restores", *restores, "List the restores recorded in the catalog instead")->excludes("--live");
    list->footer("Without --live, only the catalog is read: no node is touched. --restores lists the\n"
                 "restore records instead (what each restore did, node by node: `--json` has it all).\n"
                 "With --live, snapshots no manifest knows are listed, and a catalog snapshot that a node\n"
                 "recorded but no longer lists is flagged GONE (unless its snapshot --ttl ran out: expired).\n"
                 "Files of the catalog that are no readable manifest, and impossible chains, are shown\n"
                 "below the listing (`problems` in --json); the other backups are still listed.\n"
                 "A backup whose run was killed before it finished is `interrupted`, with what it did on\n"
                 "which nodes; `clear --tag` removes what it left there.\n"
                 "Exit 0 ok, 1 some nodes did not answer, 3 none did, 4 a catalog snapshot is gone from a\n"
                 "node or a manifest was refused (REFUSED: its directories are outside the data_dirs).");
    list->callback([live, restores, &action] {
        action = [live, restores](Context& context) {
            return *restores ? run_list_restores(context) : run_list(context, *live);
        };
    });
}

} // namespace ringsnap::cli
