// SPDX-License-Identifier: Apache-2.0
// The pieces of `ringsnap incremental` that need no node: cassandra.yaml's setting, a chain's
// keyspaces, the one flush per node.

#include <ringsnap/ops/chain.hpp>
#include <ringsnap/ops/incremental.hpp>

#include <gtest/gtest.h>

namespace ringsnap::ops {
namespace {

// The value, or nothing for an error, so EXPECT_EQ can compare it.
std::optional<bool> value_of(const Result<bool>& result)
{
    return result ? std::optional<bool>(*result) : std::nullopt;
}

TEST(IncrementalBackupsSetting, ReadsTheKeyAndDefaultsToFalse)
{
    EXPECT_EQ(value_of(incremental_backups_setting("cluster_name: 'Test'\nincremental_backups: true\n")), true);
    EXPECT_EQ(value_of(incremental_backups_setting("incremental_backups: false\n")), false);
    EXPECT_EQ(value_of(incremental_backups_setting("cluster_name: x\n# incremental_backups: true\n")), false);
    EXPECT_EQ(value_of(incremental_backups_setting("")), false);
}

TEST(IncrementalBackupsSetting, AValueThatIsNoBooleanIsAnError)
{
    auto bad = incremental_backups_setting("incremental_backups: sometimes\n");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().kind, ErrorKind::parse);
    EXPECT_FALSE(incremental_backups_setting("incremental_backups: [true\n"));
}

TEST(Chain, CoversTheKeyspacesOfItsBase)
{
    Chain chain;
    NodeEntry node;
    for (const char* keyspace : {"billing", "system_schema", "billing"}) {
        TableEntry table;
        table.keyspace = keyspace;
        node.tables.push_back(table);
    }
    chain.base.nodes = {node, node};
    EXPECT_EQ(chain_keyspaces(chain), (std::vector<std::string>{"billing", "system_schema"}));
}

TEST(Flush, OneCallPerNodeWhateverTheNumberOfKeyspaces)
{
    EXPECT_EQ(flush_arguments({"billing"}), (std::vector<std::string>{"flush", "--", "billing"}));
    EXPECT_EQ(flush_arguments({"billing", "orders"}), std::vector<std::string>{"flush"}) << "every keyspace";
}

} // namespace
} // namespace ringsnap::ops
