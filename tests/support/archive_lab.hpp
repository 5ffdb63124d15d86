// SPDX-License-Identifier: Apache-2.0
#pragma once

// A restore lab with archive storage (tests/lab: `lab archive up --kind local|s3|sftp`): the
// blobs as they lie in the storage, the blobs a manifest records, and the ways a node or the
// operator host loses its copies.

#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/cluster_file_variant.hpp"
#include "support/restore_lab.hpp"

namespace ringsnap::testing {

namespace fs = std::filesystem;

class ArchiveLab : public RestoreLab
{
  protected:
    // Starts the mixed lab, storage of `kind` (local, s3, sftp) and a cluster file that archives
    // to it; `adjust` may change that file further.
    void start_with_archive(const std::string& kind, const std::function<void(YAML::Node&)>& adjust = {})
    {
        start_mixed();
        if (HasFatalFailure() || IsSkipped()) {
            return;
        }
        auto up = run_process({RINGSNAP_PYTHON, RINGSNAP_LAB, "archive", "up", "--dir", m_lab->dir(), "--kind", kind});
        if (up.exit_code != 0 && up.err.find("s3rver") != std::string::npos) {
            GTEST_SKIP() << "no S3 server: " << up.err;
        }
        ASSERT_EQ(up.exit_code, 0) << up.err << up.out;
        auto info = run_process({RINGSNAP_PYTHON, RINGSNAP_LAB, "archive", "info", "--dir", m_lab->dir(), "--json"});
        ASSERT_EQ(info.exit_code, 0) << info.err;
        m_store = json::parse(info.out);
        m_cluster_file = write_cluster_variant(*m_lab, "archived", [&](YAML::Node& file) {
            file["archive"]["remote"] = m_store["remote"].get<std::string>();
            file["archive"]["rclone_config"] = m_store["rclone_config"].get<std::string>();
            if (adjust) {
                adjust(file);
            }
        });
    }

    json archived(const std::string& verb, int expected_exit, std::vector<std::string> args)
    {
        return run_json(verb, expected_exit, std::move(args), m_cluster_file);
    }

    // The blobs physically in the storage.
    std::set<std::string> stored_blobs() const
    {
        std::set<std::string> blobs;
        fs::path root = fs::path(m_store["root"].get<std::string>()) / cluster_name() / "blobs";
        std::string suffix = m_store["object_suffix"].get<std::string>();
        if (!fs::exists(root)) {
            return blobs;
        }
        for (const auto& entry : fs::recursive_directory_iterator(root)) {
            auto name = entry.path().filename().string();
            if (entry.is_regular_file() && name.size() >= 64 + suffix.size() &&
                name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
                name.size() == 64 + suffix.size()) {
                blobs.insert(name.substr(0, 64));
            }
        }
        return blobs;
    }

    // Distinct contents a backup's manifest records.
    std::set<std::string> recorded_blobs(const std::string& tag) const
    {
        std::set<std::string> blobs;
        auto manifest = manifest_of(tag); // kept: a range over a temporary's member would dangle
        for (const auto& node : manifest["nodes"]) {
            for (const auto& table : node["tables"]) {
                for (const auto& file : table["files"]) {
                    blobs.insert(file["sha256"].get<std::string>());
                }
            }
        }
        return blobs;
    }

    // The stored object of a blob holding a Data.db of billing.invoices in `tag`.
    fs::path invoices_data_blob(const std::string& tag) const
    {
        auto manifest = manifest_of(tag);
        for (const auto& node : manifest["nodes"]) {
            for (const auto& table : node["tables"]) {
                for (const auto& file : table["files"]) {
                    auto name = file["name"].get<std::string>();
                    if (table["table"] == "invoices" && name.find("-Data.db") != std::string::npos) {
                        auto sha = file["sha256"].get<std::string>();
                        return fs::path(m_store["root"].get<std::string>()) / cluster_name() / "blobs" /
                               sha.substr(0, 2) / (sha + m_store["object_suffix"].get<std::string>());
                    }
                }
            }
        }
        return {};
    }

    // Every snapshot of billing leaves the nodes: only the archive holds the backups now.
    void remove_snapshots_from_the_nodes() const
    {
        std::vector<fs::path> doomed;
        for (const auto& entry : fs::recursive_directory_iterator(m_lab->dir() + "/nodes")) {
            if (entry.is_directory() && entry.path().filename() == "snapshots" &&
                entry.path().string().find("/billing/") != std::string::npos) {
                doomed.push_back(entry.path());
            }
        }
        for (const auto& path : doomed) {
            fs::remove_all(path);
        }
    }

    // Where `list` says the backup's files are.
    std::string where_of(const std::string& tag)
    {
        auto listing = archived("list", 0, {});
        for (const auto& backup : listing["backups"]) {
            if (backup["tag"] == tag) {
                return backup["where"].get<std::string>();
            }
        }
        return "not listed";
    }

    fs::path archived_manifest(const std::string& tag) const
    {
        return fs::path(m_store["root"].get<std::string>()) / cluster_name() / "manifests" /
               (tag + ".json" + m_store["object_suffix"].get<std::string>());
    }

    // A lost disk: the node's whole data directory, snapshots included, is gone; Cassandra
    // starts again with empty tables.
    void wipe_data_directory(const std::string& node) const
    {
        m_lab->must({"stop-node", node});
        for (const auto& entry : fs::directory_iterator(m_lab->dir() + "/nodes/" + node + "/data")) {
            fs::remove_all(entry.path());
        }
        m_lab->must({"start-node", node});
    }

    json m_store;
    std::string m_cluster_file;
};

} // namespace ringsnap::testing
