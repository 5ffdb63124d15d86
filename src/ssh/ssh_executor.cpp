// SPDX-License-Identifier: Apache-2.0
// The SSH executor: a sliding window of worker threads over the node list. Each worker takes the
// next node whose data center has room, opens one session, runs the job on it, and moves on.

#include <ringsnap/ssh_executor.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <semaphore>
#include <thread>

#include <fmt/format.h>
#include <libssh/callbacks.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <ringsnap/cancel.hpp>

#include "core/node_queue.hpp"
#include "ssh/key_store.hpp"
#include "ssh/session.hpp"

namespace ringsnap {

namespace {

using Clock = std::chrono::steady_clock;

// Handshakes in flight at once. Past a few dozen, simultaneous handshakes only queue up in sshd
// (MaxStartups on a bastion) or in ssh-agent, and failures look like flaky hosts.
constexpr std::ptrdiff_t k_max_concurrent_handshakes = 24;
constexpr auto k_first_retry_delay = std::chrono::milliseconds(250);

// libssh's log callback is per thread: each worker installs it and names the node it serves.
thread_local std::string t_log_host;

void forward_libssh_log(int priority, const char* function, const char* message, void*)
{
    auto level = priority <= SSH_LOG_WARN ? spdlog::level::debug : spdlog::level::trace;
    spdlog::log(level, "[{}] libssh {}: {}", t_log_host, function ? function : "", message ? message : "");
}

void install_libssh_logging()
{
    ssh_set_log_callback(forward_libssh_log);
    ssh_set_log_level(spdlog::should_log(spdlog::level::trace) ? SSH_LOG_PROTOCOL : SSH_LOG_WARN);
}

// Hundreds of nodes mean hundreds of sockets; the default soft limit (1024) is too tight.
void raise_open_file_limit()
{
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

// The RemoteShell a job sees: runs commands on the node's session and records each as a step.
class SshRemoteShell final : public RemoteShell
{
  public:
    SshRemoteShell(ssh::Session& session, NodeRun& run) : m_session(session), m_run(run) {}

    const Node& node() const override { return m_run.node; }

    Result<CommandOutput> run_with_input(const std::string& step, const std::string& command, const std::string& input,
                                         std::optional<Duration> timeout) override
    {
        spdlog::debug("[{}] {}: {}", m_run.node.host, step, command);
        auto output = m_session.run(command, input, timeout.value_or(m_run.node.command_timeout()));
        StepRecord record{step, command, std::nullopt, std::nullopt};
        if (output) {
            record.output = *output;
            spdlog::debug("[{}] {}: exit {} in {} ms", m_run.node.host, step, output->exit_status,
                          output->duration.count());
        } else {
            record.error = output.error();
        }
        m_run.steps.push_back(std::move(record));
        return output;
    }

    std::chrono::microseconds round_trip() const override
    {
        auto measured = m_session.measure_round_trip();
        return measured ? *measured : std::chrono::microseconds{};
    }

  private:
    ssh::Session& m_session;
    NodeRun& m_run;
};

class SshExecutor final : public Executor
{
  public:
    explicit SshExecutor(const ExecutorOptions& options) : m_options(options) { raise_open_file_limit(); }

  private:
    std::vector<NodeRun> run_jobs(const std::vector<Node>& nodes, const NodeJob& job, const Concurrency& call_limits,
                                  const NodeFinished& finished) override
    {
        std::vector<NodeRun> runs;
        runs.reserve(nodes.size());
        for (const auto& node : nodes) {
            runs.emplace_back(node);
        }
        auto limits = tighter(call_limits, Concurrency{m_options.parallel, m_options.per_dc, 0});
        NodeQueue queue(nodes, limits);
        std::size_t worker_count =
            std::min<std::size_t>(static_cast<std::size_t>(std::max(1, limits.parallel)), nodes.size());
        std::vector<std::jthread> workers;
        for (std::size_t i = 0; i < worker_count; ++i) {
            workers.emplace_back([&] {
                install_libssh_logging();
                while (auto index = queue.take()) {
                    run_node(runs[*index], *index, job, finished);
                    queue.release(*index);
                }
            });
        }
        workers.clear(); // joins
        for (auto& run : runs) {
            if (!run.started) {
                run.error = make_error(ErrorKind::interrupted, "not started: the run was interrupted");
            }
        }
        return runs;
    }

    Result<ssh::Session> open_with_retries(const Node& node)
    {
        int retries = node.ssh.connect_retries.value_or(k_default_connect_retries);
        Duration delay = k_first_retry_delay;
        for (int attempt = 0;; ++attempt) {
            auto session = [&] {
                // Counted only around the handshake: a slow command does not hold a slot.
                m_handshakes.acquire();
                auto opened = ssh::Session::open(
                    node, ssh::SessionContext{m_keys, m_known_hosts_mutex, m_options.accept_new_host_keys});
                m_handshakes.release();
                return opened;
            }();
            // Only refused or reset connections are worth another try: a timeout already
            // waited its full length, and key or credential problems do not heal themselves.
            if (session || session.error().kind != ErrorKind::connect || attempt >= retries || cancel_requested()) {
                return session;
            }
            spdlog::info("[{}] {}; retrying in {} ms", node.host, session.error().message, delay.count());
            sleep_unless_cancelled(delay);
            delay *= 2;
        }
    }

    static std::string session_key(const Node& node)
    {
        return fmt::format("{}@{}:{}", node.ssh.user.value_or(""), node.host, node.ssh.port.value_or(0));
    }

    // A session kept from the node's last job if it still answers, else a new one. A verb asks a
    // node something in each of its phases, and every handshake costs a key exchange and an
    // authentication on both ends (and a new sshd process on the node).
    Result<ssh::Session> reuse_or_open(const Node& node)
    {
        std::optional<ssh::Session> idle;
        {
            std::lock_guard lock(m_idle_mutex);
            if (auto found = m_idle.find(session_key(node)); found != m_idle.end()) {
                idle.emplace(std::move(found->second));
                m_idle.erase(found);
            }
        }
        if (idle && idle->measure_round_trip()) {
            return std::move(*idle);
        }
        return open_with_retries(node);
    }

    // Only a session whose job ended well is kept: after a timeout or an interruption its state
    // is not known.
    void keep_idle(const Node& node, ssh::Session session)
    {
        std::lock_guard lock(m_idle_mutex);
        m_idle.insert_or_assign(session_key(node), std::move(session));
    }

    void run_node(NodeRun& run, std::size_t index, const NodeJob& job, const NodeFinished& finished)
    {
        t_log_host = run.node.host;
        auto start = Clock::now();
        run.started = true;
        auto session = reuse_or_open(run.node);
        run.connect_time = std::chrono::duration_cast<Duration>(Clock::now() - start);
        if (!session) {
            run.error = session.error();
            run.failed_step = failed_step_for(session.error().kind);
        } else {
            SshRemoteShell shell(*session, run);
            auto status = job(shell, index);
            if (!status) {
                run.error = status.error();
                run.failed_step = failed_step_of(run.steps);
            } else if (!cancel_requested()) {
                keep_idle(run.node, std::move(*session));
            }
        }
        run.duration = std::chrono::duration_cast<Duration>(Clock::now() - start);
        if (run.error) {
            spdlog::warn("[{}] failed ({}): {}", run.node.host, run.failed_step, run.error->message);
        } else {
            spdlog::debug("[{}] done in {} ms", run.node.host, run.duration.count());
        }
        report_done(index, run, finished);
    }

    static std::string failed_step_for(ErrorKind kind)
    {
        switch (kind) {
        case ErrorKind::host_key:
            return "host key";
        case ErrorKind::auth:
            return "authenticate";
        default:
            return "connect";
        }
    }

    ExecutorOptions m_options;
    ssh::KeyStore m_keys;
    std::mutex m_known_hosts_mutex;
    std::counting_semaphore<> m_handshakes{k_max_concurrent_handshakes};
    std::mutex m_idle_mutex;
    std::map<std::string, ssh::Session> m_idle; // by session_key
};

} // namespace

std::unique_ptr<Executor> make_ssh_executor(const ExecutorOptions& options)
{
    return std::make_unique<SshExecutor>(options);
}

} // namespace ringsnap
