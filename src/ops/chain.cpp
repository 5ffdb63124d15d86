// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/ops/chain.hpp>

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

namespace ringsnap::ops {

namespace {

// Puts the incrementals of one base in parent order: the one without a parent first, then its
// child, and so on. Anything that is not a single line is an impossible chain.
Result<std::vector<Manifest>> in_parent_order(const std::string& base, std::vector<Manifest> incrementals)
{
    std::map<std::string, std::size_t> child_of; // parent tag ("" for none) -> index
    for (std::size_t i = 0; i < incrementals.size(); ++i) {
        std::string parent = incrementals[i].parent.value_or("");
        if (!child_of.emplace(parent, i).second) {
            return make_error(ErrorKind::parse,
                              fmt::format("impossible chain on base {}: {} and {} both name {} as their parent", base,
                                          incrementals[child_of[parent]].tag, incrementals[i].tag,
                                          parent.empty() ? "no incremental" : parent));
        }
    }
    std::vector<Manifest> ordered;
    std::string parent;
    while (ordered.size() < incrementals.size()) {
        auto next = child_of.find(parent);
        if (next == child_of.end()) {
            std::vector<std::string> stray;
            for (const auto& incremental : incrementals) {
                if (std::none_of(ordered.begin(), ordered.end(),
                                 [&](const Manifest& m) { return m.tag == incremental.tag; })) {
                    stray.push_back(incremental.tag);
                }
            }
            return make_error(ErrorKind::parse,
                              fmt::format("impossible chain on base {}: {} do not follow from the base (a parent is "
                                          "missing or they form a cycle)",
                                          base, fmt::join(stray, ", ")));
        }
        ordered.push_back(std::move(incrementals[next->second]));
        parent = ordered.back().tag;
    }
    return ordered;
}

const ManifestSummary* find_summary(const CatalogListing& listing, const std::string& tag)
{
    auto found = std::find_if(listing.manifests.begin(), listing.manifests.end(),
                              [&](const ManifestSummary& summary) { return summary.tag == tag; });
    return found == listing.manifests.end() ? nullptr : &*found;
}

// The usable snapshot nearest before `time`, to suggest instead.
std::string nearest_before(const CatalogListing& listing, Timestamp time)
{
    const ManifestSummary* nearest = nullptr;
    for (const auto& summary : listing.manifests) {
        if (summary.kind == BackupKind::snapshot && summary.status != ManifestStatus::failed &&
            summary.started_at <= time) {
            nearest = &summary; // oldest first: the last one seen is the nearest
        }
    }
    return nearest ? fmt::format("the nearest snapshot before it is {} ({})", nearest->tag,
                                 format_timestamp(nearest->started_at))
                   : std::string("the catalog holds no snapshot before it");
}

} // namespace

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
    if (base->kind != BackupKind::snapshot || base->status == ManifestStatus::failed) {
        return make_error(ErrorKind::usage,
                          fmt::format("--base {}: a base must be a snapshot that some node recorded", base->tag));
    }
    return base->tag;
}

Result<Chain> load_chain(const Catalog& catalog, const CatalogListing& listing, const std::string& base)
{
    Chain chain;
    auto manifest = catalog.load(base);
    if (!manifest) {
        return manifest.error();
    }
    chain.base = std::move(*manifest);
    std::vector<Manifest> incrementals;
    for (const auto& backup : listing.manifests) {
        if (backup.kind == BackupKind::incremental && backup.base == base) {
            auto incremental = catalog.load(backup.tag);
            if (!incremental) {
                return incremental.error();
            }
            incrementals.push_back(std::move(*incremental));
        }
    }
    auto ordered = in_parent_order(base, std::move(incrementals));
    if (!ordered) {
        return ordered.error();
    }
    chain.incrementals = std::move(*ordered);
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
    if (wanted->status == ManifestStatus::failed) {
        return make_error(ErrorKind::usage, fmt::format("{} failed on every node: there is nothing to restore", tag));
    }
    std::string base = wanted->kind == BackupKind::snapshot ? tag : wanted->base.value_or("");
    if (base.empty() || !find_summary(*listing, base)) {
        return make_error(ErrorKind::usage, fmt::format("the base snapshot {} of {} is not in the catalog",
                                                        base.empty() ? "(none recorded)" : base, tag));
    }
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
