// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/hash_index.hpp>

#include <gtest/gtest.h>

#include "support/manifest_samples.hpp"

namespace ringsnap {
namespace {

using testing::sample_manifest;

// The identity of the first file of the first table of node `node` of `manifest`.
FileIdentity identity_of(const Manifest& manifest, std::size_t node = 0)
{
    const auto& entry = manifest.nodes[node];
    const auto& table = entry.tables[0];
    const auto& file = table.files[0];
    return FileIdentity{entry.host, table.directory, file.name, file.size, *file.inode, *file.mtime_ns};
}

TEST(HashIndex, ReusesTheHashOfTheSameFile)
{
    Manifest previous = sample_manifest();
    HashIndex index({previous});
    EXPECT_EQ(index.size(), 6U);  // two ok nodes with three files each; the failed node has none
    auto found = index.find(identity_of(previous));
    ASSERT_TRUE(found);
    EXPECT_EQ(*found, previous.nodes[0].tables[0].files[0].sha256);
}

TEST(HashIndex, ReusesNothingWhenAnyPartOfTheIdentityDiffers)
{
    Manifest previous = sample_manifest();
    HashIndex index({previous});
    auto same = identity_of(previous);
    std::vector<std::pair<const char*, FileIdentity>> changed(6, {"", same});
    changed[0].first = "size";
    changed[0].second.size += 1;
    changed[1].first = "inode";
    changed[1].second.inode += 1;
    changed[2].first = "mtime";
    changed[2].second.mtime_ns += 1;
    changed[3].first = "name";
    changed[3].second.name = "nb-2-big-Data.db";
    changed[4].first = "host";
    changed[4].second.host = "10.0.1.99";
    changed[5].first = "directory";
    changed[5].second.directory = "/var/lib/cassandra/data/billing/invoices-00000000000000000000000000000000";
    for (const auto& [what, identity] : changed) {
        EXPECT_FALSE(index.find(identity)) << "reused although the " << what << " differs";
    }
}

TEST(HashIndex, TheNewestManifestWins)
{
    Manifest newer = sample_manifest("nightly-2026-11-24");
    Manifest older = sample_manifest("nightly-2026-11-23");
    newer.nodes[0].tables[0].files[0].sha256 = std::string(64, 'a');
    older.nodes[0].tables[0].files[0].sha256 = std::string(64, 'b');
    HashIndex index({newer, older});
    EXPECT_EQ(index.find(identity_of(newer)), std::string(64, 'a'));
}

TEST(HashIndex, AnOlderManifestFillsInWhatTheNewestLacks)
{
    Manifest newer = sample_manifest("nightly-2026-11-24");
    Manifest older = sample_manifest("nightly-2026-11-23");
    newer.nodes[1].status = NodeStatus::failed;  // that node failed last night: use the night before
    HashIndex index;
    index.add(newer);
    index.add(older);
    EXPECT_TRUE(index.find(identity_of(older, 1)));
}

TEST(HashIndex, SkipsFailedNodesFilesWithoutIdentityAndMalformedHashes)
{
    Manifest previous = sample_manifest();
    previous.nodes[0].status = NodeStatus::failed;
    auto& files = previous.nodes[1].tables[0].files;
    files[0].inode.reset();
    files[1].mtime_ns.reset();
    files[2].sha256 = "9F86D0";
    HashIndex index({previous});
    EXPECT_EQ(index.size(), 0U);
    EXPECT_FALSE(index.find(identity_of(previous, 0)));
}

} // namespace
} // namespace ringsnap
