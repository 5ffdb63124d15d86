// SPDX-License-Identifier: Apache-2.0
// The cluster-file reader against generated malformed files: mutations of valid files from a fixed
// seed, so every run (and CI) reads the same inputs, in a bounded number. Whatever the input, the
// reader returns (no crash, no exception), and an error is a configuration error that names the
// file and stays short however large the input.

#include <ringsnap/cluster.hpp>

#include <unistd.h>

#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ringsnap {
namespace {

constexpr std::uint32_t k_seed = 20261123;
constexpr int k_inputs = 1500;
constexpr std::size_t k_longest_message = 2000;

const std::vector<std::string> k_valid_files{
    "cluster: prod-main\ncatalog: /var/lib/ringsnap\nssh:\n  user: ops\n  port: 22\n  connect_timeout: 10s\n"
    "  sudo: cassandra\ncassandra:\n  nodetool: /usr/bin/nodetool\n  jmx_user: monitor\n"
    "  jmx_password_file: /etc/cassandra/jmxremote.password\n  data_dirs: [/var/lib/cassandra/data]\n"
    "datacenters:\n  dc1:\n    nodes:\n      - host: 10.0.1.11\n        rack: rack1\n      - host: 10.0.1.12\n"
    "  dc2:\n    ssh: {port: 2222}\n    nodes:\n      - {host: 10.0.2.11, cassandra: {data_dirs: [/d1, /d2]}}\n",
    "cluster: c\ndatacenters:\n  dc1: {nodes: [n1, n2, 'fe80::1%eth0']}\n",
    "cluster: c\nssh: &common {user: ops, port: 2222}\ndatacenters:\n  dc1:\n    ssh: *common\n"
    "    nodes: [n1]\n",
    "cluster: c\nssh: {command_timeout: 30m, connect_retries: 3}\ncassandra: {cqlsh: cqlsh, cql_user: r,"
    " cql_password_file: /etc/p}\n",
};

// Pieces that YAML and the reader give a meaning to.
const std::vector<std::string> k_tokens{
    ":",           " ",       "\n",        "  ",   "- ",   "[",     "]",      "{",
    "}",           ",",       "#",         "&a ",  "*a",   "*zz",   "!!int ", "!!map ",
    "<<: *a",      "|\n  ",   ">\n",       "'",    "\"",   "? ",    "---\n",  "...\n",
    "%YAML 1.2\n", "~",       "null",      "true", "0x1F", "-1",    "1e99",   "99999999999",
    "..",          "/",       "~bob/",     "a_b",  "::1",  "\t",    "\r",     std::string(1, '\0'),
    "\xff\xfe",    "\xc3",    "\x1b[31m",  "port", "host", "nodes", "ssh",    "datacenters",
    "cluster",     "catalog", "data_dirs",
};

class Mutator
{
  public:
    explicit Mutator(std::uint32_t seed) : m_random(seed) {}

    std::string next()
    {
        std::string text = k_valid_files[pick(k_valid_files.size())];
        int mutations = 1 + static_cast<int>(pick(4));
        for (int i = 0; i < mutations; ++i) {
            mutate(text);
        }
        return text;
    }

  private:
    std::size_t pick(std::size_t count) { return std::uniform_int_distribution<std::size_t>(0, count - 1)(m_random); }

    void mutate(std::string& text)
    {
        std::size_t at = text.empty() ? 0 : pick(text.size() + 1);
        switch (pick(8)) {
        case 0: // one byte replaced by any byte
            if (!text.empty()) {
                text[pick(text.size())] = static_cast<char>(pick(256));
            }
            break;
        case 1: // a token inserted
            text.insert(at, k_tokens[pick(k_tokens.size())]);
            break;
        case 2: // a range deleted
            text.erase(at, pick(40));
            break;
        case 3: // a range repeated (duplicate keys, nodes, documents)
            text.insert(at, text.substr(at, pick(80)));
            break;
        case 4: // cut short
            text.resize(at);
            break;
        case 5: // nested deeply, closed or not
        {
            std::size_t depth = 1 + pick(3000);
            bool closed = pick(2) == 0;
            text.insert(at, std::string(depth, pick(2) == 0 ? '[' : '{') + (closed ? std::string(depth, ']') : ""));
            break;
        }
        case 6: // a huge value or key
            text.insert(at, std::string(1 + pick(20000), static_cast<char>('a' + pick(26))));
            break;
        default: // a line's indentation changed
            text.insert(at, std::string(pick(12), ' '));
            break;
        }
    }

    std::mt19937 m_random;
};

void expect_bounded_config_error(const Result<Cluster>& cluster, const std::string& name, const std::string& input)
{
    if (cluster) {
        return; // some mutations leave a valid file
    }
    const auto& message = cluster.error().message;
    EXPECT_EQ(cluster.error().kind, ErrorKind::config) << message;
    EXPECT_NE(message.find(name), std::string::npos) << "the error does not name the file: " << message;
    EXPECT_LE(message.size(), k_longest_message)
        << "a " << input.size() << "-byte input gave a " << message.size() << "-byte message";
}

TEST(ClusterFileFuzz, MalformedFilesGiveShortErrorsNamingTheFile)
{
    Mutator mutator(k_seed);
    for (int i = 0; i < k_inputs; ++i) {
        std::string input = mutator.next();
        SCOPED_TRACE("input #" + std::to_string(i));
        try {
            expect_bounded_config_error(parse_cluster_yaml(input, "fuzz.yaml"), "fuzz.yaml", input);
        } catch (const std::exception& error) {
            ADD_FAILURE() << "exception escaped: " << error.what();
        } catch (...) {
            ADD_FAILURE() << "unknown exception escaped";
        }
        if (HasFailure()) {
            return; // the first failing input is the one to look at
        }
    }
}

TEST(ClusterFileFuzz, MalformedFilesOnDiskGiveErrorsNamingThePath)
{
    auto path = std::filesystem::path(::testing::TempDir()) / ("fuzz-cluster-" + std::to_string(getpid()) + ".yaml");
    Mutator mutator(k_seed + 1);
    for (int i = 0; i < k_inputs / 10; ++i) {
        std::string input = mutator.next();
        std::ofstream(path, std::ios::binary | std::ios::trunc) << input;
        SCOPED_TRACE("input #" + std::to_string(i));
        try {
            expect_bounded_config_error(load_cluster_file(path), path.string(), input);
        } catch (...) {
            ADD_FAILURE() << "exception escaped";
        }
        if (HasFailure()) {
            break;
        }
    }
    std::filesystem::remove(path);
}

} // namespace
} // namespace ringsnap
