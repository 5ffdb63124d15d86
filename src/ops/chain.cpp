// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/ops/chain.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

namespace ringsnap::ops {

namespace {

const ManifestSummary* find_summary(const CatalogListing& listing, const std::string& tag)
{
    auto found = std::find_if(listing.manifests.begin(), listing.manifests.end(),
                              [&](const ManifestSummary& summary) { return summary.tag == tag; });
    return found == listing.manifests.end() ? nullptr : &*found;
}

bool is_link(const ManifestSummary& backup, const std::string& base)
{
    return backup.kind == BackupKind::incremental && is_usable(backup.status) && backup.base == base;
}

// Why a backup that is not usable is no link of a chain.
std::string why_no_link(const ManifestSummary& backup)
{
    return backup.status == ManifestStatus::running ? "never finished: a run that did not end is no link of a chain"
                                                    : "failed: a failed backup is no link of a chain";
}

// What is wrong with an incremental's base, or nothing.
std::optional<std::string> base_problem(const CatalogListing& listing, const ManifestSummary& incremental)
{
    if (!incremental.base) {
        return "it names no base snapshot";
    }
    const std::string& name = *incremental.base;
    const ManifestSummary* base = find_summary(listing, name);
    if (name == incremental.tag) {
        return "it names itself as its base";
    }
    if (!base) {
        return fmt::format("its base {} is not in the catalog", name);
    }
    if (base->kind != BackupKind::snapshot) {
        return fmt::format("its base {} is an incremental, not a snapshot", name);
    }
    if (!is_usable(base->status)) {
        return fmt::format("its base {} {}", name, why_no_link(*base));
    }
    return std::nullopt;
}

// What is wrong with a link's parent, or nothing.
std::optional<std::string> parent_problem(const CatalogListing& listing, const ManifestSummary& incremental)
{
    if (!incremental.parent) {
        return std::nullopt;
    }
    const std::string& name = *incremental.parent;
    const ManifestSummary* parent = find_summary(listing, name);
    if (name == incremental.tag) {
        return "it names itself as its parent";
    }
    if (!parent) {
        return fmt::format("its parent {} is not in the catalog", name);
    }
    if (!is_usable(parent->status)) {
        return fmt::format("its parent {} {}", name, why_no_link(*parent));
    }
    if (!is_link(*parent, *incremental.base)) {
        return fmt::format("its parent {} is not an incremental of the same base {}", name, *incremental.base);
    }
    return std::nullopt;
}

// Puts the links of one base in parent order (indexes into `links`): the one without a parent
// first, then its child, and so on. Adds a problem for each link that is not on that one line.
std::vector<std::size_t> parent_order(const std::vector<const ManifestSummary*>& links,
                                      std::vector<ChainProblem>& problems)
{
    std::map<std::string, std::size_t> child_of; // parent tag ("" for none) -> index
    for (std::size_t i = 0; i < links.size(); ++i) {
        std::string parent = links[i]->parent.value_or("");
        auto [first, inserted] = child_of.emplace(parent, i);
        if (!inserted) {
            std::string named = parent.empty() ? "no parent" : fmt::format("{} as its parent", parent);
            problems.push_back({links[i]->tag, fmt::format("it names {}, like {}: a chain is one line", named,
                                                           links[first->second]->tag)});
        }
    }
    std::vector<std::size_t> ordered;
    std::string parent;
    for (auto next = child_of.find(parent); next != child_of.end(); next = child_of.find(parent)) {
        ordered.push_back(next->second);
        parent = links[next->second]->tag;
        child_of.erase(next);
    }
    for (std::size_t i = 0; i < links.size(); ++i) {
        bool placed = std::find(ordered.begin(), ordered.end(), i) != ordered.end();
        bool reported = std::any_of(problems.begin(), problems.end(),
                                    [&](const ChainProblem& problem) { return problem.tag == links[i]->tag; });
        if (!placed && !reported) {
            problems.push_back({links[i]->tag, "its parents do not lead back to its base in one line (a cycle or a "
                                               "branch)"});
        }
    }
    return ordered;
}

// The problems of the incrementals that name `base`; and the order of its links when there are none.
std::vector<ChainProblem> problems_of_base(const CatalogListing& listing, const std::string& base,
                                           std::vector<const ManifestSummary*>* ordered_links = nullptr)
{
    std::vector<ChainProblem> problems;
    std::vector<const ManifestSummary*> links;
    for (const auto& backup : listing.manifests) {
        if (backup.kind != BackupKind::incremental || backup.base.value_or("") != base) {
            continue;
        }
        auto problem = base_problem(listing, backup);
        if (!problem && is_usable(backup.status)) {
            problem = parent_problem(listing, backup);
            links.push_back(&backup);
        }
        if (problem) {
            problems.push_back({backup.tag, std::move(*problem)});
        }
    }
    if (!problems.empty()) {
        return problems;
    }
    auto order = parent_order(links, problems);
    if (ordered_links) {
        for (auto index : order) {
            ordered_links->push_back(links[index]);
        }
    }
    return problems;
}

Error impossible_chain(const std::string& base, const std::vector<ChainProblem>& problems)
{
    std::vector<std::string> parts;
    for (const auto& problem : problems) {
        parts.push_back(fmt::format("{}: {}", problem.tag, problem.problem));
    }
    return make_error(ErrorKind::catalog, fmt::format("impossible chain on base {}: {}; clear the incrementals at "
                                                      "fault (`ringsnap clear --tag TAG`) or move their manifests out",
                                                      base, fmt::join(parts, "; ")));
}

// The usable snapshot nearest before `time`, to suggest instead.
std::string nearest_before(const CatalogListing& listing, Timestamp time)
{
    const ManifestSummary* nearest = nullptr;
    for (const auto& summary : listing.manifests) {
        if (summary.kind == BackupKind::snapshot && is_usable(summary.status) && summary.started_at <= time) {
            nearest = &summary; // oldest first: the last one seen is the nearest
        }
    }
    return nearest ? fmt::format("the nearest snapshot before it is {} ({})", nearest->tag,
                                 format_timestamp(nearest->started_at))
                   : std::string("the catalog holds no snapshot before it");
}

} // namespace

Status check_usable(const ManifestSummary& backup, const std::string& verb)
{
    if (backup.status == ManifestStatus::running) {
        return make_error(ErrorKind::usage,
                          fmt::format("{} never finished (its run was interrupted, or is still going): there is "
                                      "nothing to {}; `ringsnap list` shows what it did, `ringsnap clear --tag {}` "
                                      "removes what it left on the nodes",
                                      backup.tag, verb, backup.tag));
    }
    if (backup.status == ManifestStatus::failed) {
        return make_error(ErrorKind::usage,
                          fmt::format("{} failed on every node: there is nothing to {}", backup.tag, verb));
    }
    return {};
}

std::optional<std::string> off_the_nodes(const ManifestSummary& backup, Timestamp now)
{
    if (backup.cleared_at) {
        return fmt::format("was cleared from the nodes at {}", format_timestamp(*backup.cleared_at));
    }
    if (backup.expires_at && now >= *backup.expires_at) {
        return fmt::format("expired at {} (snapshot --ttl): Cassandra removes it from the nodes",
                           format_timestamp(*backup.expires_at));
    }
    return std::nullopt;
}

bool in_archive(const ManifestSummary& backup)
{
    return backup.archive && backup.archive->status != ManifestStatus::failed;
}

std::vector<const Manifest*> chain_backups(const Chain& chain)
{
    std::vector<const Manifest*> backups{&chain.base};
    for (const auto& incremental : chain.incrementals) {
        backups.push_back(&incremental);
    }
    return backups;
}

std::vector<std::string> chain_keyspaces(const Chain& chain)
{
    std::set<std::string> keyspaces;
    for (const auto& node : chain.base.nodes) {
        for (const auto& table : node.tables) {
            keyspaces.insert(table.keyspace);
        }
    }
    return {keyspaces.begin(), keyspaces.end()};
}

Result<std::string> choose_base(const CatalogListing& listing, const std::string& wanted)
{
    const ManifestSummary* base = nullptr;
    for (const auto& backup : listing.manifests) {
        bool named = !wanted.empty() && backup.tag == wanted;
        bool newest =
            wanted.empty() && backup.kind == BackupKind::snapshot && backup.status == ManifestStatus::complete;
        if (named || newest) {
            base = &backup;
        }
    }
    if (!base) {
        return make_error(ErrorKind::usage, wanted.empty()
                                                ? "no complete snapshot in the catalog to build on: take one "
                                                  "first (`ringsnap snapshot`)"
                                                : fmt::format("--base {}: no such backup in the catalog "
                                                              "(`ringsnap list` shows them)",
                                                              wanted));
    }
    if (base->kind != BackupKind::snapshot || !is_usable(base->status)) {
        return make_error(ErrorKind::usage, fmt::format("--base {}: a base must be a finished snapshot that some node "
                                                        "recorded",
                                                        base->tag));
    }
    return base->tag;
}

std::vector<ChainProblem> chain_problems(const CatalogListing& listing)
{
    std::set<std::string> bases;
    for (const auto& backup : listing.manifests) {
        if (backup.kind == BackupKind::incremental) {
            bases.insert(backup.base.value_or(""));
        }
    }
    std::vector<ChainProblem> problems;
    for (const auto& base : bases) {
        auto found = problems_of_base(listing, base);
        problems.insert(problems.end(), found.begin(), found.end());
    }
    return problems;
}

Result<Chain> load_chain(const Catalog& catalog, const CatalogListing& listing, const std::string& base)
{
    std::vector<const ManifestSummary*> links;
    if (auto problems = problems_of_base(listing, base, &links); !problems.empty()) {
        return impossible_chain(base, problems);
    }
    Chain chain;
    auto manifest = catalog.load(base);
    if (!manifest) {
        return manifest.error();
    }
    chain.base = std::move(*manifest);
    for (const auto* link : links) {
        auto incremental = catalog.load(link->tag);
        if (!incremental) {
            return incremental.error();
        }
        chain.incrementals.push_back(std::move(*incremental));
    }
    return chain;
}

Result<Chain> load_restore_chain(const Catalog& catalog, const std::string& tag, std::optional<Timestamp> until)
{
    auto listing = catalog.list();
    if (!listing) {
        return listing.error();
    }
    const ManifestSummary* wanted = find_summary(*listing, tag);
    if (!wanted) {
        return make_error(ErrorKind::usage,
                          fmt::format("{} is not in the catalog (`ringsnap list` shows the backups)", tag));
    }
    if (auto unusable = check_usable(*wanted, "restore"); !unusable) {
        return unusable.error();
    }
    // A missing or impossible base is refused by load_chain's rules, like every impossible chain.
    std::string base = wanted->kind == BackupKind::snapshot ? tag : wanted->base.value_or("");
    auto chain = load_chain(catalog, *listing, base);
    if (!chain) {
        return chain.error();
    }
    if (until && *until < chain->base.started_at) {
        return make_error(ErrorKind::usage,
                          fmt::format("--until {} is before the base snapshot {} ({}); {}", format_timestamp(*until),
                                      base, format_timestamp(chain->base.started_at),
                                      nearest_before(*listing, *until)));
    }
    auto& incrementals = chain->incrementals;
    if (wanted->kind == BackupKind::incremental) {
        auto last =
            std::find_if(incrementals.begin(), incrementals.end(), [&](const Manifest& m) { return m.tag == tag; });
        incrementals.erase(last + 1, incrementals.end());
    } else if (!until) {
        incrementals.clear(); // a snapshot alone, unless a point in time asks for more
    }
    if (until) {
        std::erase_if(incrementals, [&](const Manifest& m) { return m.started_at > *until; });
    }
    return chain;
}

} // namespace ringsnap::ops
