// SPDX-License-Identifier: Apache-2.0
#pragma once

// Chains of backups: a snapshot (the base), then incrementals that each record the SSTables
// flushed since the previous link, each naming its base and its parent. Taking an incremental
// extends the newest chain; a restore to a point in time reads one back from the catalog.

#include <optional>
#include <string>
#include <vector>

#include <ringsnap/catalog.hpp>
#include <ringsnap/manifest.hpp>

namespace ringsnap::ops {

// A base snapshot and incrementals built on it, oldest first (each one's parent is the one
// before it).
struct Chain
{
    Manifest base;
    std::vector<Manifest> incrementals;
};

// ErrorKind::usage, saying why and what to do, when `backup` holds nothing to `verb` ("restore",
// "verify", "archive"): it failed on every node, or never finished (status running).
Status check_usable(const ManifestSummary& backup, const std::string& verb);

// Why `backup` is no longer on the nodes at `now`, to follow its tag in a message: "was cleared
// from the nodes at T" (by `clear`, the archive keeping its copy) or "expired at T (snapshot
// --ttl): Cassandra removes it from the nodes"; nullopt while its files are there.
std::optional<std::string> off_the_nodes(const ManifestSummary& backup, Timestamp now);

// Whether some node's part of `backup` is in the archive (its archive complete or partial).
bool in_archive(const ManifestSummary& backup);

// The base, then its incrementals in order.
std::vector<const Manifest*> chain_backups(const Chain& chain);

// The keyspaces an incremental of `chain` covers: those of its base snapshot.
std::vector<std::string> chain_keyspaces(const Chain& chain);

// The base a new incremental builds on: the newest complete snapshot, or the backup `wanted`
// names, which must be a snapshot some node recorded. ErrorKind::usage, saying what to do,
// when there is none.
[[nodiscard]] Result<std::string> choose_base(const CatalogListing& listing, const std::string& wanted);

// Why a backup of the catalog cannot be part of a chain.
struct ChainProblem
{
    std::string tag;
    std::string problem; // "its base nightly-1 is an incremental, not a snapshot"
};

// The rules of a chain, over a listing: the links of a base are the incrementals naming it that
// did not fail (a failed backup is never a link). An incremental's base must be in the catalog,
// be a snapshot that did not fail, and not be the incremental itself; its parent, when it names
// one, must be a link of the same base; the links must form one line from the base (no cycle, no
// two children of one parent). Returns every incremental that breaks a rule, base by base.
std::vector<ChainProblem> chain_problems(const CatalogListing& listing);

// The base and every link built on it, in parent order. ErrorKind::catalog, naming the
// incrementals and what is wrong, when an incremental naming `base` breaks a rule of
// chain_problems: an impossible chain is never extended or restored.
[[nodiscard]] Result<Chain> load_chain(const Catalog& catalog, const CatalogListing& listing, const std::string& base);

// What a restore of `tag` reads: if it is a snapshot, itself and (with `until`) the incrementals
// of its chain; if it is an incremental, its base and the incrementals up to it. With `until`,
// only incrementals started at or before it are kept (each node's own flush time is checked
// again when its files are chosen). ErrorKind::usage when the tag is not in the catalog, is a
// failed backup, or `until` is before the base snapshot (the message names the nearest backups);
// ErrorKind::catalog for an impossible chain (chain_problems).
[[nodiscard]] Result<Chain> load_restore_chain(const Catalog& catalog, const std::string& tag,
                                               std::optional<Timestamp> until);

} // namespace ringsnap::ops
