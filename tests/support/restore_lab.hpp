// SPDX-License-Identifier: Apache-2.0
#pragma once

// A lab for the restore tests: two data centers of two nodes of mixed versions, rows of
// billing.invoices read back node by node, the nodes' files, staging and the restore record.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/backup_lab.hpp"

namespace ringsnap::testing {

using Rows = std::set<std::string>; // "id|amount"

const std::vector<std::string> k_nodes{"dc1-n1", "dc1-n2", "dc2-n1", "dc2-n2"};

class RestoreLab : public BackupLab
{
  protected:
    // Two data centers of two nodes, RF 2 in each: every node holds every row. Versions go
    // round-robin: dc1-n1 3.11, dc1-n2 4.0, dc2-n1 4.1, dc2-n2 5.0.
    void start_mixed() { start(2, 2, "3.11,4.0,4.1,5.0"); }

    // The rows of billing.invoices as node `name` alone holds them: the others are stopped, so
    // its cqlsh reads its own replica.
    Rows rows_on(const std::string& name) { return rows_alone_on(*m_lab, name, k_nodes); }

    // The same on node `name` of `lab`, whose nodes are `names`.
    static Rows rows_alone_on(const Lab& lab, const std::string& name, const std::vector<std::string>& names)
    {
        for (const auto& other : names) {
            if (other != name) {
                lab.must({"stop-node", other});
            }
        }
        auto rows = rows_through(lab.dir() + "/nodes/" + name + "/bin/cqlsh");
        for (const auto& other : names) {
            if (other != name) {
                lab.must({"start-node", other});
            }
        }
        return rows;
    }

    Rows select_rows(const std::string& name) { return rows_through(m_lab->dir() + "/nodes/" + name + "/bin/cqlsh"); }

    // The rows of billing.invoices as that cqlsh reads them (at its default consistency).
    static Rows rows_through(const std::string& cqlsh)
    {
        auto result = run_process({cqlsh, "-e", "SELECT id, amount FROM billing.invoices"});
        EXPECT_EQ(result.exit_code, 0) << result.err;
        Rows rows;
        std::istringstream in(result.out);
        bool body = false;
        for (std::string line; std::getline(in, line);) {
            if (line.rfind("---", 0) == 0 || line.rfind("-", 0) == 0) {
                body = true;
            } else if (body && line.find(" | ") != std::string::npos) {
                auto bar = line.find(" | ");
                auto trim = [](std::string text) {
                    text.erase(0, text.find_first_not_of(' '));
                    text.erase(text.find_last_not_of(' ') + 1);
                    return text;
                };
                rows.insert(trim(line.substr(0, bar)) + "|" + trim(line.substr(bar + 3)));
            }
        }
        return rows;
    }

    void expect_rows_everywhere(const Rows& expected)
    {
        for (const auto& name : k_nodes) {
            EXPECT_EQ(rows_on(name), expected) << "on " << name;
        }
    }

    static Rows first_rows()
    {
        Rows rows;
        for (int row = 1; row <= 5; ++row) {
            rows.insert(std::to_string(row) + "|EUR " + std::to_string(row * 10));
        }
        return rows;
    }

    void change_rows_after_the_backup()
    {
        cql("DELETE FROM billing.invoices WHERE id = 1");
        cql("UPDATE billing.invoices SET amount = 'EUR 99' WHERE id = 2");
        cql("INSERT INTO billing.invoices (id, amount) VALUES (6, 'EUR 60')");
    }

    // sha256 of every file under the nodes' directories but their cluster-private state, by path.
    std::map<std::string, std::string> node_files() const
    {
        std::map<std::string, std::string> files;
        for (const auto& entry : std::filesystem::recursive_directory_iterator(m_lab->dir() + "/nodes")) {
            auto path = entry.path().string();
            bool private_state = path.find("/sshd/") != std::string::npos || path.find("/home/") != std::string::npos ||
                                 path.find("/state/") != std::string::npos || path.find("/conf/") != std::string::npos;
            if (entry.is_regular_file() && !private_state) {
                files[path] = sha256_of(path);
            }
        }
        return files;
    }

    bool staging_left() const
    {
        for (const auto& name : k_nodes) {
            if (std::filesystem::exists(m_lab->dir() + "/nodes/" + name + "/ringsnap-restore")) {
                return true;
            }
        }
        return false;
    }

    int truncate_snapshots() const
    {
        int count = 0;
        for (const auto& entry : std::filesystem::recursive_directory_iterator(m_lab->dir() + "/nodes")) {
            count += entry.is_directory() && entry.path().filename().string().rfind("truncated-", 0) == 0 ? 1 : 0;
        }
        return count;
    }

    json restore(int expected_exit, std::vector<std::string> args, const std::string& cluster_file = "")
    {
        return run_json("restore", expected_exit, std::move(args), cluster_file);
    }

    // `host`'s entry in the restore record (the tests make one restore at a time), or null.
    json record_node(const std::string& host) const
    {
        auto dir = m_lab->dir() + "/catalog/" + cluster_name() + "/restores";
        if (!std::filesystem::exists(dir)) {
            return json();
        }
        for (const auto& entry : std::filesystem::directory_iterator(dir)) {
            if (entry.path().extension() != ".json" || entry.path().filename().string()[0] == '.') {
                continue;
            }
            std::ifstream in(entry.path());
            auto record = json::parse(in, nullptr, false);
            if (record.is_discarded()) {
                continue;
            }
            for (const auto& node : record["nodes"]) {
                if (node["host"] == host) {
                    return node;
                }
            }
        }
        return json();
    }

    // The state of billing.invoices on `host` in the restore record.
    std::string record_state(const std::string& host) const
    {
        auto node = record_node(host);
        for (const auto& table : node.is_null() ? json::array() : node["tables"]) {
            if (table["table"] == "invoices") {
                return table["state"];
            }
        }
        return "";
    }
};

} // namespace ringsnap::testing
