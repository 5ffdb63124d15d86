// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/cluster.hpp>

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ringsnap {
namespace {

using namespace std::chrono_literals;

// design.md's example, verbatim.
const char* const k_design_example = R"(cluster: prod-main                  # required; names the catalog folder
catalog: /var/lib/ringsnap          # where manifests and locks live on the operator host
                                    # (default: ~/.local/share/ringsnap)
ssh:
  user: ops                         # default: current user
  port: 22
  identity_file: ~/.ssh/id_ed25519  # optional; ssh-agent and ~/.ssh/config are used too
  known_hosts: ~/.ssh/known_hosts   # checked strictly
  connect_timeout: 10s
  command_timeout: 30m
  sudo: cassandra                   # optional: run nodetool and file work as `sudo -n -u cassandra`
cassandra:
  nodetool: /usr/bin/nodetool
  jmx_user: monitor                 # optional; with jmx_password_file (a file on the node)
  jmx_password_file: /etc/cassandra/jmxremote.password
  data_dirs: [/var/lib/cassandra/data]
  commitlog_dir: /var/lib/cassandra/commitlog
  config_file: /etc/cassandra/conf/cassandra.yaml
  sstableloader: /usr/bin/sstableloader
  stop_command: sudo systemctl stop cassandra
  start_command: sudo systemctl start cassandra
datacenters:
  dc1:
    nodes:
      - host: 10.0.1.11             # name or address ssh connects to
        rack: rack1
      - host: 10.0.1.12
  dc2:
    ssh: {port: 2222}
    nodes:
      - {host: 10.0.2.11, cassandra: {data_dirs: [/data1, /data2]}}
)";

// Runs each test with HOME set to a known value, and puts the old one back.
class ClusterFileTest : public ::testing::Test
{
  protected:
    void SetUp() override
    {
        if (const char* home = std::getenv("HOME")) {
            m_saved_home = home;
        }
        setenv("HOME", "/home/tester", 1);
    }
    void TearDown() override
    {
        if (m_saved_home) {
            setenv("HOME", m_saved_home->c_str(), 1);
        } else {
            unsetenv("HOME");
        }
    }

    static Cluster parse_ok(const std::string& yaml)
    {
        auto cluster = parse_cluster_yaml(yaml, "cluster.yaml");
        if (!cluster) {
            ADD_FAILURE() << "unexpected error: " << cluster.error().message << "\nin:\n" << yaml;
            return {};
        }
        return *cluster;
    }

    // The message of the config error `yaml` must give.
    static std::string parse_error(const std::string& yaml)
    {
        auto cluster = parse_cluster_yaml(yaml, "cluster.yaml");
        if (cluster) {
            ADD_FAILURE() << "accepted:\n" << yaml;
            return {};
        }
        EXPECT_EQ(cluster.error().kind, ErrorKind::config) << cluster.error().message;
        return cluster.error().message;
    }

    // A file with one node whose `host:` is `host`.
    static std::string with_host(const std::string& host)
    {
        return "cluster: x\ndatacenters:\n  dc1:\n    nodes:\n      - host: " + host + "\n";
    }

  private:
    std::optional<std::string> m_saved_home;
};

Node find_node(const Cluster& cluster, const std::string& host)
{
    for (const auto& node : cluster.nodes) {
        if (node.host == host) {
            return node;
        }
    }
    ADD_FAILURE() << "no node " << host;
    return {};
}

// --- files that load --------------------------------------------------------------------------

TEST_F(ClusterFileTest, LoadsTheDesignExample)
{
    Cluster cluster = parse_ok(k_design_example);
    EXPECT_EQ(cluster.name, "prod-main");
    EXPECT_EQ(cluster.catalog, "/var/lib/ringsnap");
    EXPECT_EQ(cluster.ssh.user, "ops");
    EXPECT_EQ(cluster.ssh.port, 22);
    EXPECT_EQ(cluster.ssh.identity_file, "/home/tester/.ssh/id_ed25519");
    EXPECT_EQ(cluster.ssh.known_hosts, "/home/tester/.ssh/known_hosts");
    EXPECT_EQ(cluster.ssh.connect_timeout, 10s);
    EXPECT_EQ(cluster.ssh.command_timeout, 30min);
    EXPECT_EQ(cluster.ssh.sudo, "cassandra");
    EXPECT_FALSE(cluster.ssh.connect_retries.has_value());
    EXPECT_EQ(cluster.cassandra.nodetool, "/usr/bin/nodetool");
    EXPECT_EQ(cluster.cassandra.jmx_user, "monitor");
    EXPECT_EQ(cluster.cassandra.jmx_password_file, "/etc/cassandra/jmxremote.password");
    EXPECT_EQ(cluster.cassandra.data_dirs, std::vector<std::string>{"/var/lib/cassandra/data"});
    EXPECT_EQ(cluster.cassandra.commitlog_dir, "/var/lib/cassandra/commitlog");
    EXPECT_EQ(cluster.cassandra.config_file, "/etc/cassandra/conf/cassandra.yaml");
    EXPECT_EQ(cluster.cassandra.sstableloader, "/usr/bin/sstableloader");
    EXPECT_EQ(cluster.cassandra.stop_command, "sudo systemctl stop cassandra");
    EXPECT_EQ(cluster.cassandra.start_command, "sudo systemctl start cassandra");

    ASSERT_EQ(cluster.nodes.size(), 3u);
    EXPECT_EQ(cluster.nodes[0].host, "10.0.1.11");
    EXPECT_EQ(cluster.nodes[0].datacenter, "dc1");
    EXPECT_EQ(cluster.nodes[0].rack, "rack1");
    EXPECT_EQ(cluster.nodes[1].host, "10.0.1.12");
    EXPECT_EQ(cluster.nodes[1].rack, "");
    EXPECT_EQ(cluster.nodes[2].datacenter, "dc2");
}

TEST_F(ClusterFileTest, CascadesClusterThenDataCenterThenNode)
{
    Cluster cluster = parse_ok(k_design_example);
    Node dc1 = find_node(cluster, "10.0.1.11");
    Node dc2 = find_node(cluster, "10.0.2.11");
    EXPECT_EQ(dc1.ssh.port, 22);
    EXPECT_EQ(dc2.ssh.port, 2222);  // the data center's value wins over the cluster's
    EXPECT_EQ(dc2.ssh.user, "ops"); // inherited from the cluster through the data center
    EXPECT_EQ(dc2.ssh.sudo, "cassandra");
    EXPECT_EQ(dc1.data_dirs(), std::vector<std::string>{"/var/lib/cassandra/data"});
    EXPECT_EQ(dc2.data_dirs(), (std::vector<std::string>{"/data1", "/data2"})); // the node's own wins
    EXPECT_EQ(dc2.cassandra.nodetool, "/usr/bin/nodetool");
    EXPECT_EQ(dc2.nodetool(), "/usr/bin/nodetool");
    EXPECT_EQ(dc2.connect_timeout(), 10s);
    EXPECT_EQ(dc2.command_timeout(), 30min);
}

TEST_F(ClusterFileTest, NodeValueWinsOverDataCenterAndCluster)
{
    Cluster cluster = parse_ok(R"(
cluster: c
ssh: {user: a, port: 1, connect_timeout: 1s, command_timeout: 1m, sudo: s1, connect_retries: 1,
      identity_file: /k1, known_hosts: /h1}
cassandra: {nodetool: /n1, jmx_user: j1, jmx_password_file: /p1, data_dirs: [/d1], commitlog_dir: /c1,
            sstableloader: /l1, stop_command: stop1, start_command: start1}
datacenters:
  dc1:
    ssh: {user: b, port: 2, connect_timeout: 2s}
    cassandra: {nodetool: /n2, data_dirs: [/d2]}
    nodes:
      - host: n1
        ssh: {user: c, connect_retries: 3, known_hosts: /h3}
        cassandra: {jmx_user: j3, jmx_password_file: /p3, stop_command: stop3}
      - host: n2
)");
    ASSERT_EQ(cluster.nodes.size(), 2u);
    const Node& n1 = cluster.nodes[0];
    EXPECT_EQ(n1.ssh.user, "c");
    EXPECT_EQ(n1.ssh.port, 2);
    EXPECT_EQ(n1.ssh.connect_timeout, 2s);
    EXPECT_EQ(n1.ssh.command_timeout, 1min);
    EXPECT_EQ(n1.ssh.sudo, "s1");
    EXPECT_EQ(n1.ssh.connect_retries, 3);
    EXPECT_EQ(n1.ssh.identity_file, "/k1");
    EXPECT_EQ(n1.ssh.known_hosts, "/h3");
    EXPECT_EQ(n1.cassandra.nodetool, "/n2");
    EXPECT_EQ(n1.cassandra.jmx_user, "j3");
    EXPECT_EQ(n1.cassandra.jmx_password_file, "/p3");
    EXPECT_EQ(n1.cassandra.data_dirs, std::vector<std::string>{"/d2"});
    EXPECT_EQ(n1.cassandra.commitlog_dir, "/c1");
    EXPECT_EQ(n1.cassandra.sstableloader, "/l1");
    EXPECT_EQ(n1.cassandra.stop_command, "stop3");
    EXPECT_EQ(n1.cassandra.start_command, "start1");
    const Node& n2 = cluster.nodes[1];
    EXPECT_EQ(n2.ssh.user, "b");
    EXPECT_EQ(n2.ssh.connect_retries, 1);
    EXPECT_EQ(n2.ssh.known_hosts, "/h1");
    EXPECT_EQ(n2.cassandra.jmx_user, "j1");
    EXPECT_EQ(n2.cassandra.stop_command, "stop1");
    // The cluster level keeps its own values for nodes found later.
    EXPECT_EQ(cluster.ssh.user, "a");
    EXPECT_EQ(cluster.cassandra.nodetool, "/n1");
}

TEST_F(ClusterFileTest, AcceptsAFileWithoutDataCenters)
{
    Cluster cluster = parse_ok("cluster: seeded\n");
    EXPECT_EQ(cluster.name, "seeded");
    EXPECT_TRUE(cluster.nodes.empty());
    EXPECT_EQ(cluster.catalog, "/home/tester/.local/share/ringsnap");
    EXPECT_FALSE(cluster.ssh.port.has_value());
}

TEST_F(ClusterFileTest, ExpandsTildeInLocalPathsOnly)
{
    Cluster cluster = parse_ok("cluster: x\ncatalog: ~/backups\nssh: {identity_file: '~', known_hosts: ~/kh}\n"
                               "cassandra: {stop_command: ~/stop.sh}\n");
    EXPECT_EQ(cluster.catalog, "/home/tester/backups");
    EXPECT_EQ(cluster.ssh.identity_file, "/home/tester");
    EXPECT_EQ(cluster.ssh.known_hosts, "/home/tester/kh");
    EXPECT_EQ(cluster.cassandra.stop_command, "~/stop.sh"); // a command for the node's own shell
}

TEST_F(ClusterFileTest, ExpandsTildeFromThePasswordDatabaseWithoutHome)
{
    setenv("HOME", "", 1);
    const passwd* entry = getpwuid(getuid());
    ASSERT_NE(entry, nullptr);
    Cluster cluster = parse_ok("cluster: x\nssh: {known_hosts: ~/kh}\n");
    EXPECT_EQ(cluster.ssh.known_hosts, std::string(entry->pw_dir) + "/kh");
    EXPECT_EQ(cluster.catalog, std::string(entry->pw_dir) + "/.local/share/ringsnap");
}

TEST_F(ClusterFileTest, DefaultsLeaveUnsetValuesUnset)
{
    Cluster cluster = parse_ok(with_host("10.0.1.11"));
    ASSERT_EQ(cluster.nodes.size(), 1u);
    const Node& node = cluster.nodes[0];
    EXPECT_FALSE(node.ssh.user.has_value());
    EXPECT_FALSE(node.ssh.port.has_value());
    EXPECT_FALSE(node.ssh.sudo.has_value());
    EXPECT_EQ(node.connect_timeout(), k_default_connect_timeout);
    EXPECT_EQ(node.command_timeout(), k_default_command_timeout);
    EXPECT_EQ(node.nodetool(), "nodetool");
    EXPECT_EQ(node.data_dirs(), std::vector<std::string>{"/var/lib/cassandra/data"});
}

TEST_F(ClusterFileTest, AcceptsANodeWrittenAsItsHostOnly)
{
    Cluster cluster = parse_ok("cluster: x\ndatacenters:\n  dc1:\n    nodes: [10.0.1.11, cass-2.example.net]\n");
    ASSERT_EQ(cluster.nodes.size(), 2u);
    EXPECT_EQ(cluster.nodes[1].host, "cass-2.example.net");
    EXPECT_EQ(cluster.nodes[1].datacenter, "dc1");
}

TEST_F(ClusterFileTest, CascadesIntoANodeWrittenAsItsHostOnly)
{
    Cluster cluster = parse_ok("cluster: x\nssh: {user: ops}\ndatacenters:\n  dc1:\n    ssh: {port: 2222}\n"
                               "    cassandra: {data_dirs: [/d1]}\n    nodes:\n      - 10.0.0.1\n      - 10.0.0.2\n");
    ASSERT_EQ(cluster.nodes.size(), 2u);
    for (const Node& node : cluster.nodes) {
        EXPECT_EQ(node.datacenter, "dc1") << node.host;
        EXPECT_EQ(node.rack, "") << node.host;
        EXPECT_EQ(node.ssh.user, "ops") << node.host;
        EXPECT_EQ(node.ssh.port, 2222) << node.host;
        EXPECT_EQ(node.data_dirs(), std::vector<std::string>{"/d1"}) << node.host;
    }
    EXPECT_EQ(cluster.nodes[0].host, "10.0.0.1");
    EXPECT_EQ(cluster.nodes[1].host, "10.0.0.2");
}

TEST_F(ClusterFileTest, AcceptsHostNamesAndAddresses)
{
    for (const char* host :
         {"10.0.1.11", "cass1", "cass-1.dc1.example.net", "cass-1.example.net.", "CASS1", "::1", "2001:db8::11",
          "fe80::1%eth0", "0:0:0:0:0:0:0:1", "::ffff:10.0.0.1", "localhost", "a", "1host", "xn--bcher-kva.example"}) {
        Cluster cluster = parse_ok(with_host(std::string("'") + host + "'"));
        ASSERT_EQ(cluster.nodes.size(), 1u) << host;
        EXPECT_EQ(cluster.nodes[0].host, host);
    }
}

TEST_F(ClusterFileTest, AcceptsQuotedNumbersAndStripsTrailingSlashes)
{
    Cluster cluster = parse_ok("cluster: x\nssh: {port: '2222', connect_retries: 0}\n"
                               "cassandra: {data_dirs: [/data1/, /data2//], commitlog_dir: /cl/}\n");
    EXPECT_EQ(cluster.ssh.port, 2222);
    EXPECT_EQ(cluster.ssh.connect_retries, 0);
    EXPECT_EQ(cluster.cassandra.data_dirs, (std::vector<std::string>{"/data1", "/data2"}));
    EXPECT_EQ(cluster.cassandra.commitlog_dir, "/cl");
}

TEST_F(ClusterFileTest, AllowsOneHostOnTwoPorts)
{
    Cluster cluster = parse_ok("cluster: x\ndatacenters:\n  dc1:\n    nodes:\n"
                               "      - {host: 127.0.0.1, ssh: {port: 2201}}\n"
                               "      - {host: 127.0.0.1, ssh: {port: 2202}}\n");
    EXPECT_EQ(cluster.nodes.size(), 2u);
}

TEST_F(ClusterFileTest, KeepsDataCentersAndNodesInFileOrder)
{
    Cluster cluster = parse_ok("cluster: x\ndatacenters:\n  zeta: {nodes: [z1, z2]}\n  alpha: {nodes: [a1]}\n");
    ASSERT_EQ(cluster.nodes.size(), 3u);
    EXPECT_EQ(cluster.nodes[0].host, "z1");
    EXPECT_EQ(cluster.nodes[1].host, "z2");
    EXPECT_EQ(cluster.nodes[2].host, "a1");
    EXPECT_EQ(cluster.nodes[2].datacenter, "alpha");
}

TEST_F(ClusterFileTest, FollowsYamlAnchorsAndAliases)
{
    Cluster cluster = parse_ok("cluster: x\nssh: &common {port: 2222, user: ops}\n"
                               "datacenters:\n  dc1:\n    ssh: *common\n    nodes: [n1]\n");
    ASSERT_EQ(cluster.nodes.size(), 1u);
    EXPECT_EQ(cluster.nodes[0].ssh.port, 2222);
    EXPECT_EQ(cluster.nodes[0].ssh.user, "ops");
}

// --- the example file on disk -----------------------------------------------------------------

// A directory of its own under the test's temporary directory, removed at the end.
class TemporaryDirectory
{
  public:
    explicit TemporaryDirectory(const std::string& name)
        : m_path(std::filesystem::path(::testing::TempDir()) / (name + "-" + std::to_string(getpid())))
    {
        std::filesystem::remove_all(m_path);
        std::filesystem::create_directories(m_path);
    }
    ~TemporaryDirectory() { std::filesystem::remove_all(m_path); }
    TemporaryDirectory(const TemporaryDirectory&) = delete;
    TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;

    const std::filesystem::path& path() const { return m_path; }

    // Writes `text` to `name` (directories created) and returns its path.
    std::filesystem::path write(const std::string& name, const std::string& text) const
    {
        auto file = m_path / name;
        std::filesystem::create_directories(file.parent_path());
        std::ofstream(file) << text;
        return file;
    }

  private:
    std::filesystem::path m_path;
};

TEST_F(ClusterFileTest, LoadsTheExampleFile)
{
    // The file names ~/.ssh/id_ed25519 and ~/.ssh/known_hosts, which must exist to load it.
    TemporaryDirectory home("example-home");
    home.write(".ssh/id_ed25519", "key");
    home.write(".ssh/known_hosts", "");
    setenv("HOME", home.path().c_str(), 1);
    std::filesystem::path path = std::filesystem::path(RINGSNAP_SOURCE_DIR) / "examples" / "cluster.yaml";
    auto cluster = load_cluster_file(path);
    ASSERT_TRUE(cluster) << cluster.error().message;
    EXPECT_EQ(cluster->name, "prod-main");
    EXPECT_EQ(cluster->source_file, path);
    EXPECT_EQ(cluster->catalog, "/var/lib/ringsnap");
    // Every key of the file, at the cluster level.
    EXPECT_EQ(cluster->ssh.user, "ops");
    EXPECT_EQ(cluster->ssh.port, 22);
    EXPECT_EQ(cluster->ssh.identity_file, (home.path() / ".ssh/id_ed25519").string());
    EXPECT_EQ(cluster->ssh.known_hosts, (home.path() / ".ssh/known_hosts").string());
    EXPECT_EQ(cluster->ssh.connect_timeout, 10s);
    EXPECT_EQ(cluster->ssh.command_timeout, 30min);
    EXPECT_EQ(cluster->ssh.connect_retries, 2);
    EXPECT_EQ(cluster->ssh.sudo, "cassandra");
    EXPECT_EQ(cluster->cassandra.nodetool, "/usr/bin/nodetool");
    EXPECT_EQ(cluster->cassandra.jmx_user, "monitor");
    EXPECT_EQ(cluster->cassandra.jmx_password_file, "/etc/cassandra/jmxremote.password");
    EXPECT_EQ(cluster->cassandra.data_dirs, std::vector<std::string>{"/var/lib/cassandra/data"});
    EXPECT_EQ(cluster->cassandra.commitlog_dir, "/var/lib/cassandra/commitlog");
    EXPECT_EQ(cluster->cassandra.sstableloader, "/usr/bin/sstableloader");
    EXPECT_EQ(cluster->cassandra.stop_command, "sudo systemctl stop cassandra");
    EXPECT_EQ(cluster->cassandra.start_command, "sudo systemctl start cassandra");
    // Two data centers of three nodes, in file order, with the cascade applied.
    struct Want
    {
        const char* host;
        const char* datacenter;
        const char* rack;
        int port;
        const char* user;
    };
    const std::vector<Want> want{
        {"10.0.1.11", "dc1", "rack1", 22, "ops"},   {"10.0.1.12", "dc1", "rack2", 22, "ops"},
        {"10.0.1.13", "dc1", "rack3", 22, "ops"},   {"10.0.2.11", "dc2", "rack1", 2222, "ops"},
        {"10.0.2.12", "dc2", "rack2", 2222, "ops"}, {"cass-dc2-3.example.net", "dc2", "rack3", 2222, "cassandra-admin"},
    };
    ASSERT_EQ(cluster->nodes.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
        const Node& node = cluster->nodes[i];
        SCOPED_TRACE(want[i].host);
        EXPECT_EQ(node.host, want[i].host);
        EXPECT_EQ(node.datacenter, want[i].datacenter);
        EXPECT_EQ(node.rack, want[i].rack);
        EXPECT_EQ(node.ssh.port, want[i].port);
        EXPECT_EQ(node.ssh.user, want[i].user);
        EXPECT_EQ(node.ssh.sudo, "cassandra");
        EXPECT_EQ(node.cassandra.jmx_password_file, "/etc/cassandra/jmxremote.password");
        EXPECT_EQ(node.data_dirs(), i == 3 ? (std::vector<std::string>{"/data1", "/data2"})
                                           : std::vector<std::string>{"/var/lib/cassandra/data"});
    }
}

TEST_F(ClusterFileTest, ReportsAMissingFile)
{
    auto cluster = load_cluster_file("/nonexistent/ringsnap/cluster.yaml");
    ASSERT_FALSE(cluster);
    EXPECT_EQ(cluster.error().kind, ErrorKind::config);
    EXPECT_NE(cluster.error().message.find("cannot read cluster file /nonexistent/ringsnap/cluster.yaml"),
              std::string::npos)
        << cluster.error().message;
}

TEST_F(ClusterFileTest, ReportsADirectory)
{
    auto cluster = load_cluster_file(RINGSNAP_TEST_DATA_DIR);
    ASSERT_FALSE(cluster);
    EXPECT_NE(cluster.error().message.find("it is a directory"), std::string::npos) << cluster.error().message;
}

TEST_F(ClusterFileTest, NamesTheFileOnDiskInErrors)
{
    auto dir = std::filesystem::temp_directory_path() / ("ringsnap-cluster-file-test-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    auto path = dir / "bad.yaml";
    std::ofstream(path) << "cluster: x\nssh:\n  prot: 22\n";
    auto cluster = load_cluster_file(path);
    std::filesystem::remove_all(dir);
    ASSERT_FALSE(cluster);
    EXPECT_EQ(cluster.error().message.rfind(path.string() + ":3: ssh.prot: unknown key", 0), 0u)
        << cluster.error().message;
}

TEST_F(ClusterFileTest, RelativeLocalPathsStartAtTheFilesDirectoryNotTheWorkingOne)
{
    TemporaryDirectory dir("relative-paths");
    dir.write("keys/id", "key");
    dir.write("known_hosts", "");
    auto path = dir.write("conf/cluster.yaml", "cluster: x\ncatalog: backups\n"
                                               "ssh: {identity_file: ../keys/id, known_hosts: ../known_hosts}\n"
                                               "cassandra: {cql_password_file: cql.password}\n");
    auto cluster = load_cluster_file(path);
    ASSERT_TRUE(cluster) << cluster.error().message;
    EXPECT_EQ(cluster->catalog, dir.path() / "conf/backups");
    EXPECT_EQ(cluster->ssh.identity_file, (dir.path() / "keys/id").string());
    EXPECT_EQ(cluster->ssh.known_hosts, (dir.path() / "known_hosts").string());
    EXPECT_EQ(cluster->cassandra.cql_password_file, (dir.path() / "conf/cql.password").string());
}

TEST_F(ClusterFileTest, MissingIdentityFileOrKnownHostsIsRefusedWhenTheFileIsLoaded)
{
    TemporaryDirectory dir("missing-ssh-files");
    dir.write("id", "key");
    dir.write("known_hosts", "");
    struct Case
    {
        std::string ssh;
        std::string says;
    };
    for (const auto& [ssh, says] : std::vector<Case>{
             {"identity_file: id_nope", ":3: ssh.identity_file: \"" + (dir.path() / "id_nope").string() +
                                            "\" does not exist; fix the path, or remove the key"},
             {"known_hosts: kh_nope", ":3: ssh.known_hosts: \"" + (dir.path() / "kh_nope").string() +
                                          "\" does not exist; fix the path, or create it empty"},
             {"identity_file: " + dir.path().string(), "is a directory; name a file"},
         }) {
        auto path = dir.write("cluster.yaml", "cluster: x\nssh:\n  " + ssh + "\n");
        auto cluster = load_cluster_file(path);
        ASSERT_FALSE(cluster) << ssh;
        EXPECT_EQ(cluster.error().kind, ErrorKind::config);
        EXPECT_EQ(cluster.error().message.rfind(path.string(), 0), 0u) << cluster.error().message;
        EXPECT_NE(cluster.error().message.find(says), std::string::npos) << cluster.error().message;
    }
    // Named at a node's level too; present files load.
    auto path = dir.write("cluster.yaml", "cluster: x\nssh: {identity_file: id, known_hosts: known_hosts}\n"
                                          "datacenters:\n  dc1:\n    nodes:\n"
                                          "      - {host: n1, ssh: {identity_file: other}}\n");
    auto cluster = load_cluster_file(path);
    ASSERT_FALSE(cluster);
    EXPECT_NE(cluster.error().message.find(":6: datacenters.dc1.nodes[0].ssh.identity_file"), std::string::npos)
        << cluster.error().message;
    dir.write("other", "key");
    EXPECT_TRUE(load_cluster_file(path));
}

// --- files that do not load: structure ---------------------------------------------------------

TEST_F(ClusterFileTest, DeepNestingSaysWhatIsWrongAndWhereToLook)
{
    for (std::size_t depth : {3000u, 10000u}) {
        auto message = parse_error("cluster: x\nssh: " + std::string(depth, '[') + "\n");
        EXPECT_EQ(message.rfind("cluster.yaml:", 0), 0u) << message;
        EXPECT_NE(message.find(": not valid YAML here: lists and mappings nested too deeply"), std::string::npos)
            << message;
        EXPECT_NE(message.find("look for a `[` or `{` that is never closed"), std::string::npos) << message;
    }
}

TEST_F(ClusterFileTest, HugeKeysAndValuesAreCutInMessages)
{
    std::string huge(1024 * 1024, 'k');
    for (const auto& yaml : {"cluster: " + huge + "\n", "cluster: x\nssh: {user: \"" + huge + "\"}\n",
                             "cluster: x\ndatacenters:\n  ? " + huge + "\n  : {nodes: [bad_host]}\n"}) {
        auto message = parse_error(yaml);
        EXPECT_LT(message.size(), 600u) << message.substr(0, 600);
        EXPECT_NE(message.find("(1048576 bytes)"), std::string::npos) << message.substr(0, 600);
    }
}

TEST_F(ClusterFileTest, ReportsYamlSyntaxErrorsWithTheirLine)
{
    EXPECT_EQ(parse_error("cluster: x\nssh:\n  user: [unclosed\n"),
              "cluster.yaml:4: not valid YAML: end of sequence flow not found");
    EXPECT_EQ(parse_error("cluster: x\n  ssh: 1\n").rfind("cluster.yaml:2: not valid YAML: ", 0), 0u);
    EXPECT_EQ(parse_error("cluster: x\nssh:\n\tuser: ops\n").rfind("cluster.yaml:3: not valid YAML", 0), 0u);
}

TEST_F(ClusterFileTest, RejectsAnEmptyFile)
{
    for (const char* yaml : {"", "\n", "# only a comment\n", "---\n"}) {
        EXPECT_EQ(parse_error(yaml), "cluster.yaml: the file is empty; a cluster file needs at least `cluster: NAME`");
    }
}

TEST_F(ClusterFileTest, RejectsATopLevelThatIsNotAMapping)
{
    EXPECT_EQ(
        parse_error("- a\n- b\n"),
        "cluster.yaml:1: (top level): expected a mapping like {cluster: prod-main, datacenters: ...}, got a list");
    EXPECT_EQ(parse_error("just text\n"), "cluster.yaml:1: (top level): expected a mapping like {cluster: prod-main, "
                                          "datacenters: ...}, got \"just text\"");
}

TEST_F(ClusterFileTest, RejectsMoreThanOneDocument)
{
    EXPECT_EQ(parse_error("cluster: x\n---\ncluster: y\n"),
              "cluster.yaml:3: a cluster file holds one YAML document, found 2 (remove the extra `---`)");
}

TEST_F(ClusterFileTest, RequiresTheClusterName)
{
    EXPECT_EQ(parse_error("catalog: /x\n"),
              "cluster.yaml:1: cluster: missing; every cluster file names its cluster (cluster: prod-main)");
    EXPECT_EQ(parse_error("catalog: /x\ncluster:\n"), "cluster.yaml:2: cluster: expected a text value, got nothing");
    EXPECT_EQ(parse_error("cluster: ''\n"), "cluster.yaml:1: cluster: expected a text value, got \"\"");
    EXPECT_EQ(parse_error("cluster: [a]\n"), "cluster.yaml:1: cluster: expected a text value, got a list");
}

TEST_F(ClusterFileTest, RequiresASafeFolderNameForTheCluster)
{
    EXPECT_EQ(parse_error("cluster: a/b\n"),
              "cluster.yaml:1: cluster: invalid cluster name \"a/b\": it contains \"/\"; use letters, digits, '_', "
              "'.' and '-', not starting with '.' or '-'");
    for (const char* name :
         {".hidden", "'.'", "'..'", "../up", "a b", "'-x'", "'a;b'", "caf\xc3\xa9", "'a\\b'", "'$(id)'", "'*'"}) {
        EXPECT_NE(parse_error(std::string("cluster: ") + name + "\n").find("invalid cluster name"), std::string::npos)
            << name;
    }
    EXPECT_NE(parse_error("cluster: " + std::string(201, 'c') + "\n").find("at most 200 characters"),
              std::string::npos);
    EXPECT_EQ(parse_ok("cluster: Prod_main-2.eu\n").name, "Prod_main-2.eu");
}

TEST_F(ClusterFileTest, ReadsTheMetricsFileAndTheHooks)
{
    Cluster cluster = parse_ok("cluster: x\nmetrics_file: metrics/ringsnap.prom\n"
                               "hooks: {pre: /usr/local/bin/pause-repairs, post: 'logger -t ringsnap done'}\n");
    ASSERT_TRUE(cluster.metrics_file);
    EXPECT_TRUE(cluster.metrics_file->is_absolute()) << "relative to the cluster file's directory";
    EXPECT_EQ(cluster.metrics_file->filename(), "ringsnap.prom");
    EXPECT_EQ(cluster.hooks.pre, "/usr/local/bin/pause-repairs");
    EXPECT_EQ(cluster.hooks.post, "logger -t ringsnap done");
    EXPECT_EQ(parse_error("cluster: x\nhooks: {before: x}\n"),
              "cluster.yaml:2: hooks.before: unknown key; known keys: pre, post");
}

TEST_F(ClusterFileTest, RejectsUnknownKeysListingTheKnownOnes)
{
    EXPECT_EQ(parse_error("cluster: x\nssh:\n  prot: 22\n"),
              "cluster.yaml:3: ssh.prot: unknown key (did you mean port?); known keys: user, port, identity_file, "
              "known_hosts, connect_timeout, command_timeout, sudo, connect_retries");
    EXPECT_EQ(parse_error("cluster: x\ndatacentres: {}\n"),
              "cluster.yaml:2: datacentres: unknown key (did you mean datacenters?); known keys: cluster, catalog, "
              "metrics_file, hooks, "
              "ssh, cassandra, archive, datacenters");
    EXPECT_EQ(parse_error("cluster: x\ncassandra: {data_dir: [/d]}\n"),
              "cluster.yaml:2: cassandra.data_dir: unknown key (did you mean data_dirs?); known keys: nodetool, "
              "jmx_user, jmx_password_file, data_dirs, commitlog_dir, sstableloader, stop_command, start_command, "
              "config_file, "
              "cqlsh, cql_user, cql_password_file");
    EXPECT_EQ(
        parse_error("cluster: x\nparallelism: 4\n"),
        "cluster.yaml:2: parallelism: unknown key; known keys: cluster, catalog, metrics_file, hooks, ssh, cassandra, "
        "archive, datacenters");
    EXPECT_EQ(parse_error("cluster: x\ndatacenters:\n  dc1:\n    node: [a]\n"),
              "cluster.yaml:4: datacenters.dc1.node: unknown key (did you mean nodes?); known keys: ssh, cassandra, "
              "archive, nodes");
    EXPECT_EQ(parse_error("cluster: x\ndatacenters:\n  dc1:\n    nodes:\n      - {host: a, rakc: r1}\n"),
              "cluster.yaml:5: datacenters.dc1.nodes[0].rakc: unknown key (did you mean rack?); known keys: host, "
              "rack, ssh, cassandra, archive");
}

TEST_F(ClusterFileTest, RejectsATypoInAFlowMapping)
{
    EXPECT_EQ(parse_error("cluster: x\nssh: {prot: 22}\n"),
              "cluster.yaml:2: ssh.prot: unknown key (did you mean port?); known keys: user, port, identity_file, "
              "known_hosts, connect_timeout, command_timeout, sudo, connect_retries");
    EXPECT_EQ(parse_error("cluster: x\ndatacenters:\n  dc1:\n    nodes:\n      - {host: a, ssh: {prot: 22}}\n"),
              "cluster.yaml:5: datacenters.dc1.nodes[0].ssh.prot: unknown key (did you mean port?); known keys: user, "
              "port, identity_file, known_hosts, connect_timeout, command_timeout, sudo, connect_retries");
}

TEST_F(ClusterFileTest, RejectsAKeyGivenTwice)
{
    EXPECT_EQ(parse_error("cluster: x\nssh:\n  port: 22\n  port: 23\n"),
              "cluster.yaml:4: ssh.port: given twice (first at cluster.yaml:3)");
    EXPECT_EQ(parse_error("cluster: x\ncluster: y\n"),
              "cluster.yaml:2: cluster: given twice (first at cluster.yaml:1)");
}

TEST_F(ClusterFileTest, RejectsKeysThatAreNotNames)
{
    EXPECT_EQ(parse_error("cluster: x\n? [a, b]\n: c\n"), "cluster.yaml:2: (top level): keys must be plain names");
}

TEST_F(ClusterFileTest, RejectsWrongTypes)
{
    EXPECT_EQ(parse_error("cluster: x\nssh: ops\n"),
              "cluster.yaml:2: ssh: expected a mapping like {user: ops, port: 22}, got \"ops\"");
    EXPECT_EQ(parse_error("cluster: x\ncassandra: [a]\n"),
              "cluster.yaml:2: cassandra: expected a mapping like {nodetool: /usr/bin/nodetool}, got a list");
    EXPECT_EQ(parse_error("cluster: x\nssh:\n  user:\n"),
              "cluster.yaml:3: ssh.user: expected a text value, got nothing");
    EXPECT_EQ(parse_error("cluster: x\nssh: {user: {name: ops}}\n"),
              "cluster.yaml:2: ssh.user: expected a text value, got a mapping");
    EXPECT_EQ(parse_error("cluster: x\ncatalog: [a]\n"), "cluster.yaml:2: catalog: expected a text value, got a list");
    EXPECT_EQ(parse_error("cluster: x\ncassandra: {data_dirs: /var/lib}\n"),
              "cluster.yaml:2: cassandra.data_dirs: expected a list of absolute paths like [/var/lib/cassandra/data], "
              "got \"/var/lib\"");
    EXPECT_EQ(parse_error("cluster: x\ndatacenters:\n  dc1:\n    nodes: 10.0.1.11\n"),
              "cluster.yaml:4: datacenters.dc1.nodes: expected a non-empty list of nodes like [{host: 10.0.1.11, "
              "rack: rack1}], got \"10.0.1.11\"");
    EXPECT_EQ(parse_error("cluster: x\ndatacenters:\n  dc1:\n    nodes:\n      - [a, b]\n"),
              "cluster.yaml:5: datacenters.dc1.nodes[0]: expected a mapping like {host: 10.0.1.11, rack: rack1}, got "
              "a list");
}

// --- values --------------------------------------------------------------------------------------

TEST_F(ClusterFileTest, RejectsBadPortsNamingTheKeyPath)
{
    EXPECT_EQ(
        parse_error("cluster: x\ndatacenters:\n  dc1:\n    nodes:\n      - host: 10.0.1.11\n"
                    "        ssh: {port: abc}\n"),
        "cluster.yaml:6: datacenters.dc1.nodes[0].ssh.port: expected a whole number from 1 to 65535, got \"abc\"");
    for (const char* port : {"0", "65536", "-1", "22.0", "0x16", "' 22'", "99999999999", "[22]", "''"}) {
        EXPECT_NE(parse_error(std::string("cluster: x\nssh:\n  port: ") + port + "\n")
                      .find("cluster.yaml:3: ssh.port: expected a whole number from 1 to 65535, got "),
                  std::string::npos)
            << port;
    }
}

TEST_F(ClusterFileTest, RejectsPortsOutOfRangeWithTheirValue)
{
    EXPECT_EQ(parse_error("cluster: x\nssh:\n  port: 0\n"),
              "cluster.yaml:3: ssh.port: expected a whole number from 1 to 65535, got \"0\"");
    EXPECT_EQ(parse_error("cluster: x\ndatacenters:\n  dc2:\n    ssh: {port: 70000}\n    nodes: [a]\n"),
              "cluster.yaml:4: datacenters.dc2.ssh.port: expected a whole number from 1 to 65535, got \"70000\"");
    EXPECT_EQ(parse_ok("cluster: x\nssh: {port: 65535}\n").ssh.port, 65535);
    EXPECT_EQ(parse_ok("cluster: x\nssh: {port: 1}\n").ssh.port, 1);
}

TEST_F(ClusterFileTest, RejectsBadConnectRetries)
{
    EXPECT_EQ(parse_error("cluster: x\nssh: {connect_retries: 21}\n"),
              "cluster.yaml:2: ssh.connect_retries: expected a whole number from 0 to 20, got \"21\"");
}

TEST_F(ClusterFileTest, RejectsBadDurations)
{
    EXPECT_EQ(parse_error("cluster: x\nssh: {connect_timeout: 10}\n"),
              "cluster.yaml:2: ssh.connect_timeout: expected a duration like 30s, 5m, 2h or 7d (units: ms, s, m, h, "
              "d), got \"10\"");
    EXPECT_EQ(parse_error("cluster: x\nssh:\n  command_timeout: 5 minutes\n"),
              "cluster.yaml:3: ssh.command_timeout: expected a duration like 30s, 5m, 2h or 7d (units: ms, s, m, h, "
              "d), got \"5 minutes\"");
    EXPECT_EQ(parse_error("cluster: x\nssh: {connect_timeout: 0s}\n"),
              "cluster.yaml:2: ssh.connect_timeout: duration \"0s\" must be more than zero");
}

TEST_F(ClusterFileTest, RequiresSafeUserNames)
{
    EXPECT_EQ(parse_error("cluster: x\nssh: {sudo: 'root; rm -rf /'}\n"),
              "cluster.yaml:2: ssh.sudo: invalid sudo user \"root; rm -rf /\": it contains \";\"; use letters, "
              "digits, '_', '.' and '-', not starting with '.' or '-'");
    for (const char* user : {"'-u'", "'a b'", "'$(id)'", "'a@b'", "'a\\nb'"}) {
        EXPECT_NE(parse_error(std::string("cluster: x\nssh: {sudo: ") + user + "}\n").find("invalid sudo user"),
                  std::string::npos)
            << user;
    }
    EXPECT_EQ(parse_ok("cluster: x\nssh: {sudo: cassandra-2.x_y}\n").ssh.sudo, "cassandra-2.x_y");
    EXPECT_EQ(parse_ok("cluster: x\nssh: {user: jdoe@corp.example}\n").ssh.user, "jdoe@corp.example");
    EXPECT_NE(parse_error("cluster: x\nssh: {user: 'a b'}\n").find("invalid user name \"a b\""), std::string::npos);
    EXPECT_NE(parse_error("cluster: x\ncassandra: {jmx_user: '-x', jmx_password_file: /p}\n").find("invalid JMX user"),
              std::string::npos);
}

TEST_F(ClusterFileTest, RequiresAbsoluteSingleLinePathsOnTheNodes)
{
    EXPECT_EQ(parse_error("cluster: x\ncassandra:\n  data_dirs: [/a, data]\n"),
              "cluster.yaml:3: cassandra.data_dirs[1]: expected an absolute path (starting with /), got \"data\"");
    EXPECT_EQ(parse_error("cluster: x\ncassandra:\n  data_dirs: []\n"),
              "cluster.yaml:3: cassandra.data_dirs: expected a list of absolute paths like [/var/lib/cassandra/data], "
              "got an empty list");
    EXPECT_EQ(parse_error("cluster: x\ncassandra:\n  data_dirs: [\"/a\\nb\"]\n"),
              "cluster.yaml:3: cassandra.data_dirs[0]: expected a single line, got \"/a\\nb\"");
    EXPECT_EQ(parse_error("cluster: x\ncassandra:\n  data_dirs: [~/data]\n"),
              "cluster.yaml:3: cassandra.data_dirs[0]: expected an absolute path, got \"~/data\": `~` is not expanded "
              "on the nodes");
    EXPECT_EQ(parse_error("cluster: x\ncassandra:\n  data_dirs: [/a, /a/]\n"),
              "cluster.yaml:3: cassandra.data_dirs[1]: \"/a\" is listed twice");
    EXPECT_NE(parse_error("cluster: x\ncassandra: {commitlog_dir: commitlog}\n")
                  .find("cassandra.commitlog_dir: expected "
                        "an absolute path"),
              std::string::npos);
    EXPECT_NE(parse_error("cluster: x\ncassandra: {jmx_user: u, jmx_password_file: jmx.pw}\n")
                  .find("cassandra.jmx_password_file: expected an absolute path"),
              std::string::npos);
}

TEST_F(ClusterFileTest, RequiresSingleLineProgramsAndCommands)
{
    EXPECT_EQ(parse_error("cluster: x\ncassandra:\n  nodetool: \"/usr/bin/nodetool\\nrm -rf /\"\n"),
              "cluster.yaml:3: cassandra.nodetool: expected a single line, got \"/usr/bin/nodetool\\nrm -rf /\"");
    EXPECT_NE(parse_error("cluster: x\ncassandra: {sstableloader: \"a\\rb\"}\n").find("expected a single line"),
              std::string::npos);
    EXPECT_NE(parse_error("cluster: x\ncassandra: {stop_command: \"stop\\nreboot\"}\n").find("expected a single line"),
              std::string::npos);
    EXPECT_NE(parse_error("cluster: x\ncassandra: {nodetool: ~/bin/nodetool}\n").find("`~` is not expanded"),
              std::string::npos);
    EXPECT_NE(parse_error("cluster: x\ncassandra: {nodetool: '-h'}\n").find("expected a full path or a program name"),
              std::string::npos);
    EXPECT_EQ(parse_ok("cluster: x\ncassandra: {nodetool: nodetool}\n").cassandra.nodetool, "nodetool");
    EXPECT_EQ(parse_ok("cluster: x\ncassandra: {nodetool: '/opt/apache cassandra/bin/nodetool'}\n").cassandra.nodetool,
              "/opt/apache cassandra/bin/nodetool");
}

TEST_F(ClusterFileTest, RefusesTildeUserInLocalPaths)
{
    EXPECT_EQ(parse_error("cluster: x\ncatalog: ~bob/x\n"),
              "cluster.yaml:2: catalog: only ~/ is expanded (to $HOME), not ~user; got \"~bob/x\"");
}

TEST_F(ClusterFileTest, RequiresJmxUserAndPasswordFileTogether)
{
    EXPECT_EQ(parse_error("cluster: x\ncassandra:\n  jmx_user: monitor\n"),
              "cluster.yaml:1: (top level): cassandra.jmx_user is set without cassandra.jmx_password_file (nodetool "
              "would ask for a password)");
    EXPECT_EQ(parse_error("cluster: x\ndatacenters:\n  dc1:\n    nodes:\n"
                          "      - {host: a, cassandra: {jmx_password_file: /p}}\n"),
              "cluster.yaml:5: datacenters.dc1.nodes[0]: cassandra.jmx_password_file is set without "
              "cassandra.jmx_user (nodetool reads the file only for a user)");
    // Checked after the cascade: the pair may come from different levels.
    Cluster cluster = parse_ok("cluster: x\ncassandra: {jmx_user: u}\ndatacenters:\n  dc1:\n"
                               "    cassandra: {jmx_password_file: /p}\n    nodes: [a]\n");
    EXPECT_EQ(cluster.nodes[0].cassandra.jmx_user, "u");
    EXPECT_EQ(cluster.nodes[0].cassandra.jmx_password_file, "/p");
}

// --- data centers and nodes ----------------------------------------------------------------------

TEST_F(ClusterFileTest, RejectsEmptyDataCenters)
{
    EXPECT_EQ(parse_error("cluster: x\ndatacenters:\n  dc1:\n    nodes: []\n"),
              "cluster.yaml:4: datacenters.dc1.nodes: expected a non-empty list of nodes like [{host: 10.0.1.11, "
              "rack: rack1}], got an empty list");
    EXPECT_EQ(parse_error("cluster: x\ndatacenters:\n  dc1: {}\n"),
              "cluster.yaml:3: datacenters.dc1.nodes: expected a non-empty list of nodes like [{host: 10.0.1.11, "
              "rack: rack1}], got no nodes: key");
    EXPECT_EQ(parse_error("cluster: x\ndatacenters:\n  dc1:\n"),
              "cluster.yaml:3: datacenters.dc1: expected a mapping like {nodes: [{host: 10.0.1.11}]}, got nothing");
    EXPECT_EQ(parse_error("cluster: x\ndatacenters:\n  dc1: {ssh: {port: 22}}\n  dc2: {nodes: [a]}\n")
                  .rfind("cluster.yaml:3: datacenters.dc1.nodes: expected a non-empty list", 0),
              0u);
}

TEST_F(ClusterFileTest, RejectsAnEmptyDataCenterList)
{
    std::string expected = "datacenters: no data center listed; list them (dc1: {nodes: [...]}), or remove the key to "
                           "take the topology from --seed";
    EXPECT_EQ(parse_error("cluster: x\ndatacenters:\n"), "cluster.yaml:2: " + expected);
    EXPECT_EQ(parse_error("cluster: x\ndatacenters: {}\n"), "cluster.yaml:2: " + expected);
    EXPECT_EQ(parse_error("cluster: x\ndatacenters: [dc1]\n"),
              "cluster.yaml:2: datacenters: expected a mapping like {dc1: {nodes: [{host: 10.0.1.11}]}}, got a list");
}

TEST_F(ClusterFileTest, RequiresSafeDataCenterAndRackNames)
{
    EXPECT_EQ(
        parse_error("cluster: x\ndatacenters:\n  dc 1:\n    nodes: [a]\n"),
        "cluster.yaml:3: datacenters.\"dc 1\": invalid data center name \"dc 1\": it contains \" \"; use letters, "
        "digits, '_', '.' and '-', not starting with '.' or '-'");
    EXPECT_NE(parse_error("cluster: x\ndatacenters:\n  dc1:\n    nodes:\n      - {host: a, rack: 'r/1'}\n")
                  .find("cluster.yaml:5: datacenters.dc1.nodes[0].rack: invalid rack name \"r/1\""),
              std::string::npos);
    Cluster cluster = parse_ok("cluster: x\ndatacenters:\n  us-east_1.a:\n    nodes: [{host: a, rack: us-east-1a}]\n");
    EXPECT_EQ(cluster.nodes[0].datacenter, "us-east_1.a");
    EXPECT_EQ(cluster.nodes[0].rack, "us-east-1a");
}

TEST_F(ClusterFileTest, RequiresAHostForEveryNode)
{
    EXPECT_EQ(parse_error("cluster: x\ndatacenters:\n  dc1:\n    nodes:\n      - rack: r1\n"),
              "cluster.yaml:5: datacenters.dc1.nodes[0]: missing host: (the name or address ssh connects to)");
    // yaml-cpp places an empty item on the line of the next token, so only the key path is checked.
    EXPECT_NE(parse_error("cluster: x\ndatacenters:\n  dc1:\n    nodes:\n      - host: a\n      -\n")
                  .find(": datacenters.dc1.nodes[1]: expected a mapping like {host: 10.0.1.11, rack: rack1}, got "
                        "nothing"),
              std::string::npos);
}

TEST_F(ClusterFileTest, RejectsHostWithPortWithAHint)
{
    EXPECT_EQ(parse_error(with_host("10.0.1.11:22")),
              "cluster.yaml:5: datacenters.dc1.nodes[0].host: \"10.0.1.11:22\" is not a host name or IP address: set "
              "the port under ssh: {port: N}, not after the host");
    EXPECT_NE(parse_error(with_host("'[::1]'")).find("write an IPv6 address without brackets"), std::string::npos);
    EXPECT_NE(parse_error(with_host("'[::1]:22'")).find("write an IPv6 address without brackets"), std::string::npos);
}

TEST_F(ClusterFileTest, RejectsUnderscoreInHostNamesWithALibsshHint)
{
    EXPECT_EQ(parse_error(with_host("node_1")),
              "cluster.yaml:5: datacenters.dc1.nodes[0].host: \"node_1\" is not a host name or IP address: libssh "
              "refuses '_' in host names; use the node's address, or a DNS name or /etc/hosts alias without '_'");
}

TEST_F(ClusterFileTest, SaysWhatIsWrongWithAHost)
{
    const std::string prefix = "cluster.yaml:5: datacenters.dc1.nodes[0].host: ";
    EXPECT_EQ(parse_error(with_host("'cass 1'")),
              prefix + "\"cass 1\" is not a host name or IP address: it contains \" \"; use letters, digits, '-' and "
                       "'.'");
    EXPECT_EQ(parse_error(with_host("'cass1;reboot'")),
              prefix + "\"cass1;reboot\" is not a host name or IP address: it contains \";\"; use letters, digits, "
                       "'-' and '.'");
    EXPECT_EQ(parse_error(with_host("'-oProxyCommand'")),
              prefix + "\"-oProxyCommand\" is not a host name or IP address: it starts with '-'");
    EXPECT_EQ(parse_error(with_host("'cass1.example.net:22'")),
              prefix + "\"cass1.example.net:22\" is not a host name or IP address: set the port under ssh: {port: N}, "
                       "not after the host");
    EXPECT_EQ(parse_error(with_host("'10.0.1.256'")),
              prefix + "\"10.0.1.256\" is not a host name or IP address: an IPv4 address has four numbers from 0 to "
                       "255");
    EXPECT_EQ(parse_error(with_host("'1::2::3'")),
              prefix + "\"1::2::3\" is not a host name or IP address: it has ':' but is not an IPv6 address");
}

TEST_F(ClusterFileTest, RejectsHostileHosts)
{
    for (const char* host : {"'-oProxyCommand=touch /tmp/x'",
                             "'a b'",
                             "'host;rm -rf /'",
                             "'$(id)'",
                             "'`id`'",
                             "'a|b'",
                             "'a&b'",
                             "\"a\\nb\"",
                             "'a''b'",
                             "'a\"b'",
                             "'*'",
                             "'a\\b'",
                             "'caf\xc3\xa9'",
                             "'-host'",
                             "'.host'",
                             "'a..b'",
                             "'host-'",
                             "'a.-b'",
                             "'user@host'",
                             "'a/b'",
                             "'~'",
                             "'10.0.1.256'",
                             "'10.0.1'",
                             "'1.2.3.4.5'",
                             "'::g'",
                             "'1::2::3'",
                             "'::1%'",
                             "'fe80::1%eth 0'",
                             "'ab:cd'",
                             "'a:b:c'",
                             "'1.2.3.04'"}) {
        std::string message = parse_error(with_host(host));
        EXPECT_EQ(message.rfind("cluster.yaml:5: datacenters.dc1.nodes[0].host: ", 0), 0u) << host << ": " << message;
    }
    EXPECT_NE(parse_error(with_host("'" + std::string(64, 'a') + ".example'")).find("1 to 63"), std::string::npos);
    std::string long_name;
    for (int i = 0; i < 51; ++i) {
        long_name += "abcd.";
    }
    EXPECT_NE(parse_error(with_host(long_name + "ex")).find("longer than 253"), std::string::npos);
}

TEST_F(ClusterFileTest, RejectsDuplicateHostsNamingBothPlaces)
{
    EXPECT_EQ(parse_error("cluster: x\ndatacenters:\n  dc1:\n    nodes:\n      - host: 10.0.1.11\n"
                          "  dc2:\n    nodes:\n      - host: 10.0.1.11\n"),
              "cluster.yaml:8: datacenters.dc2.nodes[0]: 10.0.1.11 port 22 is listed twice: also at "
              "datacenters.dc1.nodes[0] (cluster.yaml:5)");
    EXPECT_NE(parse_error("cluster: x\ndatacenters:\n  dc1:\n    nodes: [Cass1, cass1]\n").find("is listed twice"),
              std::string::npos);
    EXPECT_NE(parse_error("cluster: x\ndatacenters:\n  dc1:\n    nodes: ['::1', '0:0:0:0:0:0:0:1']\n")
                  .find("::1 port 22 is listed twice"),
              std::string::npos);
    // An explicit port 22 and the default are the same place.
    EXPECT_NE(parse_error("cluster: x\ndatacenters:\n  dc1:\n    nodes:\n      - {host: a, ssh: {port: 22}}\n"
                          "      - a\n")
                  .find("a port 22 is listed twice"),
              std::string::npos);
    // The port that decides is the cascaded one.
    EXPECT_NE(parse_error("cluster: x\nssh: {port: 2222}\ndatacenters:\n  dc1:\n    nodes:\n"
                          "      - {host: a, ssh: {port: 2222}}\n  dc2:\n    nodes: [a]\n")
                  .find("a port 2222 is listed twice"),
              std::string::npos);
}

// --- inherit, discovered nodes --------------------------------------------------------------------

TEST_F(ClusterFileTest, ReadsTheArchiveSectionAndCascadesItPerDataCenter)
{
    Cluster cluster = parse_ok(R"(cluster: x
archive:
  remote: "s3store:ringsnap-prod"
  rclone: /usr/bin/rclone
  rclone_config: conf/rclone.conf
  bwlimit: 50M
  transfers: 8
datacenters:
  dc1:
    nodes: [a1]
  dc2:
    archive: {remote: "s3west:ringsnap-dc2"}
    nodes: [b1, {host: b2, archive: {remote: /mnt/nfs/ringsnap, transfers: 2}}]
)");
    EXPECT_EQ(cluster.archive.remote, "s3store:ringsnap-prod");
    auto a1 = find_node(cluster, "a1");
    EXPECT_EQ(a1.archive.remote, "s3store:ringsnap-prod");
    EXPECT_EQ(a1.rclone(), "/usr/bin/rclone");
    EXPECT_EQ(a1.transfers(), 8);
    EXPECT_EQ(a1.archive.bwlimit, "50M");
    EXPECT_TRUE(std::filesystem::path(*a1.archive.rclone_config).is_absolute());
    EXPECT_EQ(std::filesystem::path(*a1.archive.rclone_config).filename(), "rclone.conf");
    auto b1 = find_node(cluster, "b1");
    EXPECT_EQ(b1.archive.remote, "s3west:ringsnap-dc2");
    EXPECT_EQ(b1.archive.bwlimit, "50M");
    auto b2 = find_node(cluster, "b2");
    EXPECT_EQ(b2.archive.remote, "/mnt/nfs/ringsnap");
    EXPECT_EQ(b2.transfers(), 2);
}

TEST_F(ClusterFileTest, NoArchiveSectionMeansNoArchive)
{
    Cluster cluster = parse_ok(with_host("a1"));
    EXPECT_FALSE(cluster.nodes.at(0).archived());
    EXPECT_EQ(cluster.nodes.at(0).rclone(), "rclone");
    EXPECT_EQ(cluster.nodes.at(0).transfers(), 4);
}

TEST_F(ClusterFileTest, RefusesArchiveRemotesThatWouldShowSecretsOrAreNotRemotes)
{
    auto with_remote = [](const std::string& remote) {
        return "cluster: x\narchive: {remote: \"" + remote + "\"}\ndatacenters: {dc1: {nodes: [a1]}}\n";
    };
    EXPECT_NE(parse_error(with_remote(":s3,access_key_id=AK,secret_access_key=SK:bucket")).find("rclone_config"),
              std::string::npos);
    EXPECT_NE(parse_error(with_remote("s3store,secret_access_key=SK:bucket")).find("process lists"), std::string::npos);
    EXPECT_NE(parse_error(with_remote("relative/path")).find("absolute path"), std::string::npos);
    EXPECT_NE(parse_error(with_remote("-s3:x")).find("expected an rclone remote"), std::string::npos);
    EXPECT_NE(parse_error("cluster: x\narchive: {remote: /a, bwlimit: \"5M; rm -rf /\"}\n").find("bandwidth"),
              std::string::npos);
    EXPECT_NE(parse_error("cluster: x\narchive: {remote: /a, transfers: 0}\n").find("from 1 to 64"), std::string::npos);
    EXPECT_NE(parse_error("cluster: x\narchive: {remote: /a, bucket: b}\n").find("bucket"), std::string::npos);
}

TEST(SshSettingsInherit, FillsOnlyUnsetFields)
{
    SshSettings parent;
    parent.user = "p";
    parent.port = 1;
    parent.identity_file = "/pk";
    parent.known_hosts = "/ph";
    parent.connect_timeout = 1s;
    parent.command_timeout = 1min;
    parent.sudo = "ps";
    parent.connect_retries = 1;
    SshSettings child;
    child.user = "c";
    child.connect_timeout = 2s;
    child.inherit(parent);
    EXPECT_EQ(child.user, "c");
    EXPECT_EQ(child.port, 1);
    EXPECT_EQ(child.identity_file, "/pk");
    EXPECT_EQ(child.known_hosts, "/ph");
    EXPECT_EQ(child.connect_timeout, 2s);
    EXPECT_EQ(child.command_timeout, 1min);
    EXPECT_EQ(child.sudo, "ps");
    EXPECT_EQ(child.connect_retries, 1);
    SshSettings empty;
    child.inherit(empty);
    EXPECT_EQ(child.user, "c");
}

TEST(CassandraSettingsInherit, FillsOnlyUnsetFields)
{
    CassandraSettings parent;
    parent.nodetool = "/pn";
    parent.jmx_user = "pj";
    parent.jmx_password_file = "/pp";
    parent.data_dirs = std::vector<std::string>{"/pd"};
    parent.commitlog_dir = "/pc";
    parent.sstableloader = "/pl";
    parent.stop_command = "pstop";
    parent.start_command = "pstart";
    CassandraSettings child;
    child.data_dirs = std::vector<std::string>{"/c1", "/c2"};
    child.stop_command = "cstop";
    child.inherit(parent);
    EXPECT_EQ(child.nodetool, "/pn");
    EXPECT_EQ(child.jmx_user, "pj");
    EXPECT_EQ(child.jmx_password_file, "/pp");
    EXPECT_EQ(child.data_dirs, (std::vector<std::string>{"/c1", "/c2"}));
    EXPECT_EQ(child.commitlog_dir, "/pc");
    EXPECT_EQ(child.sstableloader, "/pl");
    EXPECT_EQ(child.stop_command, "cstop");
    EXPECT_EQ(child.start_command, "pstart");
}

TEST_F(ClusterFileTest, DiscoveredNodesGetClusterLevelSettings)
{
    Cluster cluster = parse_ok(k_design_example);
    Node node = make_discovered_node(cluster, "10.0.3.5", "dc3", "rack9");
    EXPECT_EQ(node.host, "10.0.3.5");
    EXPECT_EQ(node.datacenter, "dc3");
    EXPECT_EQ(node.rack, "rack9");
    EXPECT_EQ(node.ssh.port, 22);
    EXPECT_EQ(node.ssh.user, "ops");
    EXPECT_EQ(node.ssh.sudo, "cassandra");
    EXPECT_EQ(node.cassandra.jmx_user, "monitor");
    EXPECT_EQ(node.data_dirs(), std::vector<std::string>{"/var/lib/cassandra/data"});
}

TEST_F(ClusterFileTest, DiscoveredNodesIgnoreDataCenterSettingsOfTheFile)
{
    // dc2 sets port 2222 in the file, but a node found through --seed gets the cluster level only.
    Cluster cluster = parse_ok(k_design_example);
    Node node = make_discovered_node(cluster, "10.0.2.99", "dc2", "");
    EXPECT_EQ(node.ssh.port, 22);
    EXPECT_EQ(node.rack, "");
    EXPECT_EQ(node.ssh.identity_file, "/home/tester/.ssh/id_ed25519");
    EXPECT_EQ(node.ssh.known_hosts, "/home/tester/.ssh/known_hosts");
    EXPECT_EQ(node.ssh.connect_timeout, 10s);
    EXPECT_EQ(node.ssh.command_timeout, 30min);
    EXPECT_FALSE(node.ssh.connect_retries.has_value());
    EXPECT_EQ(node.cassandra.nodetool, "/usr/bin/nodetool");
    EXPECT_EQ(node.cassandra.jmx_password_file, "/etc/cassandra/jmxremote.password");
    EXPECT_EQ(node.cassandra.commitlog_dir, "/var/lib/cassandra/commitlog");
    EXPECT_EQ(node.cassandra.sstableloader, "/usr/bin/sstableloader");
    EXPECT_EQ(node.cassandra.stop_command, "sudo systemctl stop cassandra");
    EXPECT_EQ(node.cassandra.start_command, "sudo systemctl start cassandra");

    Node bare = make_discovered_node(parse_ok("cluster: seeded\n"), "10.0.0.1", "dc1", "r1");
    EXPECT_FALSE(bare.ssh.port.has_value());
    EXPECT_FALSE(bare.ssh.user.has_value());
    EXPECT_EQ(bare.nodetool(), "nodetool");
    EXPECT_EQ(bare.connect_timeout(), k_default_connect_timeout);
}

// --- select_nodes ---------------------------------------------------------------------------------

std::vector<Node> six_nodes()
{
    std::vector<Node> nodes;
    for (const char* dc : {"dc1", "dc2"}) {
        for (int i = 1; i <= 3; ++i) {
            Node node;
            node.datacenter = dc;
            node.host = std::string("10.0.") + dc[2] + "." + std::to_string(10 + i);
            nodes.push_back(node);
        }
    }
    return nodes;
}

std::vector<std::string> hosts_of(const std::vector<Node>& nodes)
{
    std::vector<std::string> hosts;
    for (const auto& node : nodes) {
        hosts.push_back(node.host);
    }
    return hosts;
}

TEST(SelectNodes, SelectsEverythingByDefault)
{
    auto selected = select_nodes(six_nodes(), {});
    ASSERT_TRUE(selected);
    EXPECT_EQ(selected->size(), 6u);
    auto none = select_nodes({}, {});
    ASSERT_TRUE(none);
    EXPECT_TRUE(none->empty());
}

TEST(SelectNodes, FiltersByDataCenter)
{
    auto selected = select_nodes(six_nodes(), NodeSelection{{"dc2"}, {}});
    ASSERT_TRUE(selected);
    EXPECT_EQ(hosts_of(*selected), (std::vector<std::string>{"10.0.2.11", "10.0.2.12", "10.0.2.13"}));
}

TEST(SelectNodes, FiltersByHostKeepingFileOrder)
{
    auto selected = select_nodes(six_nodes(), NodeSelection{{}, {"10.0.2.12", "10.0.1.11"}});
    ASSERT_TRUE(selected);
    EXPECT_EQ(hosts_of(*selected), (std::vector<std::string>{"10.0.1.11", "10.0.2.12"}));
}

TEST(SelectNodes, IntersectsDataCentersAndHosts)
{
    auto selected = select_nodes(six_nodes(), NodeSelection{{"dc1"}, {"10.0.1.12", "10.0.2.12"}});
    ASSERT_TRUE(selected);
    EXPECT_EQ(hosts_of(*selected), std::vector<std::string>{"10.0.1.12"});
}

TEST(SelectNodes, RejectsAnEmptyIntersection)
{
    auto selected = select_nodes(six_nodes(), NodeSelection{{"dc1"}, {"10.0.2.12"}});
    ASSERT_FALSE(selected);
    EXPECT_EQ(selected.error().kind, ErrorKind::usage);
    EXPECT_EQ(selected.error().message, "no node is both in --dc dc1 and in --hosts 10.0.2.12");
}

TEST(SelectNodes, RejectsUnknownNamesListingTheKnownOnes)
{
    auto dc = select_nodes(six_nodes(), NodeSelection{{"dc1", "dc9"}, {}});
    ASSERT_FALSE(dc);
    EXPECT_EQ(dc.error().kind, ErrorKind::usage);
    EXPECT_EQ(dc.error().message, "unknown data center \"dc9\"; the cluster has: dc1, dc2");

    auto host = select_nodes(six_nodes(), NodeSelection{{}, {"10.0.9.9"}});
    ASSERT_FALSE(host);
    EXPECT_EQ(host.error().kind, ErrorKind::usage);
    EXPECT_EQ(host.error().message, "unknown host \"10.0.9.9\"; the cluster has: 10.0.1.11, 10.0.1.12, 10.0.1.13, "
                                    "10.0.2.11, 10.0.2.12, 10.0.2.13");

    auto empty = select_nodes({}, NodeSelection{{"dc1"}, {}});
    ASSERT_FALSE(empty);
    EXPECT_EQ(empty.error().message, "unknown data center \"dc1\"; the cluster has: (none)");
}

} // namespace
} // namespace ringsnap
