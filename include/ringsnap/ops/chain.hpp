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

// The keyspaces an incremental of `chain` covers: those of its base snapshot.
std::vector<std::string> chain_keyspaces(const Chain& chain);

// The base a new incremental builds on: the newest complete snapshot, or the backup `wanted`
// names, which must be a snapshot some node recorded. ErrorKind::usage, saying what to do,
// when there is none.
[[nodiscard]] Result<std::string> choose_base(const CatalogListing& listing, const std::string& wanted);

// The base and every incremental built on it, in parent order. ErrorKind::parse when the
// incrementals do not form one line from the base (a parent missing, a cycle, two children of
// one parent), naming them.
[[nodiscard]] Result<Chain> load_chain(const Catalog& catalog, const CatalogListing& listing, const std::string& base);

// What a restore of `tag` reads: if it is a snapshot, itself and (with `until`) the incrementals
// of its chain; if it is an incremental, its base and the incrementals up to it. With `until`,
// only incrementals started at or before it are kept (each node's own flush time is checked
// again when its files are chosen). ErrorKind::usage when the tag is not in the catalog, is a
// failed backup, or `until` is before the base snapshot (the message names the nearest backups).
[[nodiscard]] Result<Chain> load_restore_chain(const Catalog& catalog, const std::string& tag,
                                               std::optional<Timestamp> until);

} // namespace ringsnap::ops
