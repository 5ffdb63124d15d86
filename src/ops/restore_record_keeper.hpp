// SPDX-License-Identifier: Apache-2.0
#pragma once

// The restore record while a restore runs: shared by the node threads, saved whole (atomically,
// by the catalog) after every change, so a crash loses at most the step in flight.

#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include <ringsnap/catalog.hpp>
#include <ringsnap/ops/restore.hpp>
#include <ringsnap/restore_record.hpp>

namespace ringsnap::ops {

class RecordKeeper
{
  public:
    RecordKeeper(const Catalog& catalog, RestoreRecord record) : m_catalog(catalog), m_record(std::move(record)) {}

    template <class Change> void update(Change change)
    {
        std::lock_guard lock(m_mutex);
        change(m_record);
        save_locked();
    }

    struct TableUpdate
    {
        const TablePlan* table;
        TableState state;
        std::optional<std::string> error{};
        std::optional<std::int64_t> load_ms{};
    };

    // Several tables of one node at once: one write of the record, not one per table.
    void set_tables(const std::string& host, const std::vector<TableUpdate>& updates)
    {
        update([&](RestoreRecord& record) { apply(record, host, updates); });
    }

    // The same for several nodes, `updates[i]` being those of `plans[i]`'s node.
    void set_tables(const std::vector<const NodePlan*>& plans, const std::vector<std::vector<TableUpdate>>& updates)
    {
        update([&](RestoreRecord& record) {
            for (std::size_t i = 0; i < plans.size(); ++i) {
                apply(record, plans[i]->node.host, updates[i]);
            }
        });
    }

    TableState state_of(const std::string& host, const TablePlan& table)
    {
        std::lock_guard lock(m_mutex);
        auto* node = m_record.node(host);
        if (node) {
            for (const auto& entry : node->tables) {
                if (entry.keyspace == table.keyspace && entry.table == table.table) {
                    return entry.state;
                }
            }
        }
        return TableState::planned;
    }

    RestoreRecord snapshot()
    {
        std::lock_guard lock(m_mutex);
        return m_record;
    }

    const std::filesystem::path& path() const { return m_path; }

    void save()
    {
        std::lock_guard lock(m_mutex);
        save_locked();
    }

  private:
    static void apply(RestoreRecord& record, const std::string& host, const std::vector<TableUpdate>& updates)
    {
        auto* node = record.node(host);
        if (!node) {
            return;
        }
        for (const auto& change : updates) {
            for (auto& entry : node->tables) {
                if (entry.keyspace == change.table->keyspace && entry.table == change.table->table) {
                    entry.state = change.state;
                    entry.error = change.error;
                    entry.load_ms = change.load_ms ? change.load_ms : entry.load_ms;
                }
            }
        }
    }

    void save_locked()
    {
        auto saved = m_catalog.save_restore(m_record);
        if (!saved) {
            spdlog::error("cannot write the restore record: {}", saved.error().message);
        } else {
            m_path = *saved;
        }
    }

    const Catalog& m_catalog;
    std::mutex m_mutex;
    RestoreRecord m_record;
    std::filesystem::path m_path;
};

} // namespace ringsnap::ops
