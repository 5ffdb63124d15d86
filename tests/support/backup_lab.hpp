// SPDX-License-Identifier: Apache-2.0
#pragma once

// A lab for the tests of the backup verbs (snapshot, verify, list, clear): a keyspace `billing`
// with two tables and a few rows, and helpers to run ringsnap and look at the catalog and the
// nodes' snapshot directories.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <ringsnap/cluster.hpp>

#include "support/lab.hpp"

namespace ringsnap::testing {

using json = nlohmann::json;

// The whole content of a file ("" when it cannot be read).
inline std::string text_of(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

class BackupLab : public ::testing::Test
{
  protected:
    void start(int dcs, int nodes, const std::string& versions = "")
    {
        if (auto missing = Lab::missing_prerequisite(); !missing.empty()) {
            GTEST_SKIP() << missing;
        }
        m_lab = std::make_unique<Lab>(dcs, nodes, versions);
        std::string replication = "'class': 'NetworkTopologyStrategy'";
        for (int dc = 1; dc <= dcs; ++dc) {
            replication += ", 'dc" + std::to_string(dc) + "': " + std::to_string(std::min(nodes, 3));
        }
        cql("CREATE KEYSPACE billing WITH replication = {" + replication + "}");
        cql("CREATE TABLE billing.invoices (id int PRIMARY KEY, amount text)");
        cql("CREATE TABLE billing.customers (id int PRIMARY KEY, name text)");
        for (int row = 1; row <= 5; ++row) {
            cql("INSERT INTO billing.invoices (id, amount) VALUES (" + std::to_string(row) + ", 'EUR " +
                std::to_string(row * 10) + "')");
        }
    }

    void cql(const std::string& statement)
    {
        auto result = run_process({m_lab->dir() + "/nodes/dc1-n1/bin/cqlsh", "-e", statement});
        ASSERT_EQ(result.exit_code, 0) << statement << ": " << result.err << result.out;
    }

    // `ringsnap --json VERB ARGS...`, its exit code checked, its report parsed.
    json run_json(const std::string& verb, int expected_exit, std::vector<std::string> args,
                  const std::string& cluster_file = "")
    {
        args.insert(args.begin(), {"--json", verb});
        auto result = ringsnap(*m_lab, args, cluster_file);
        EXPECT_EQ(result.exit_code, expected_exit) << result.err << result.out;
        return json::parse(result.out);
    }

    json manifest_of(const std::string& tag) const
    {
        std::ifstream in(m_lab->dir() + "/catalog/" + cluster_name() + "/manifests/" + tag + ".json");
        return json::parse(in);
    }

    std::string cluster_name() const
    {
        auto cluster = load_cluster_file(m_lab->cluster_file());
        return cluster->name;
    }

    // Snapshot directories of `tag` anywhere in the lab's data.
    int snapshot_dirs(const std::string& tag) const
    {
        int count = 0;
        for (const auto& entry : std::filesystem::recursive_directory_iterator(m_lab->dir() + "/nodes")) {
            if (entry.is_directory() && entry.path().filename() == tag &&
                entry.path().parent_path().filename() == "snapshots") {
                ++count;
            }
        }
        return count;
    }

    static std::string sha256_of(const std::string& path)
    {
        auto result = run_process({"sha256sum", "--", path});
        return result.out.substr(0, 64);
    }

    std::unique_ptr<Lab> m_lab;
};

} // namespace ringsnap::testing
