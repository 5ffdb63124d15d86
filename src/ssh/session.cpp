// SPDX-License-Identifier: Apache-2.0
#include "ssh/session.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <libssh/callbacks.h>
#include <libssh/server.h> // ssh_send_keepalive: declared here, works from a client
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <ringsnap/cancel.hpp>

namespace ringsnap::ssh {

namespace {

using Clock = std::chrono::steady_clock;

// How long one wait for remote data may block before we look at the deadline and the cancel
// flag again; short enough that Ctrl-C feels immediate.
constexpr int k_read_slice_ms = 100;
// An idle command gets an SSH keepalive this often, so firewalls and NAT keep the flow.
constexpr auto k_keepalive_interval = std::chrono::seconds(30);
// Bounds for the small housekeeping exchanges (exit status after EOF, killing a process group).
constexpr auto k_housekeeping_timeout = std::chrono::seconds(3);
// Opening a channel or starting a command, refused before the command ran (sshd's MaxSessions
// reached while an earlier channel still closes, a node under load): tried this many times,
// pausing 100 ms, then 300 ms.
constexpr int k_start_attempts = 3;
constexpr auto k_first_start_pause = std::chrono::milliseconds(100);
// stderr is kept for the report's tail; past this its head is dropped.
constexpr std::size_t k_max_stderr_bytes = 1 << 20;
// The first stdout line of every command: the remote shell's pid, which is also its process
// group (sshd calls setsid() for each session), so a timeout can kill the whole group.
constexpr std::string_view k_pid_marker = "ringsnap-pid:";

Duration since(Clock::time_point start)
{
    return std::chrono::duration_cast<Duration>(Clock::now() - start);
}

// Waits up to one read slice for the node to send something (or for the socket to appear).
void wait_for_socket(ssh_session session)
{
    pollfd entry{.fd = ssh_get_fd(session), .events = POLLIN, .revents = 0};
    if (entry.fd < 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(k_read_slice_ms));
        return;
    }
    poll(&entry, 1, k_read_slice_ms);
}

// Runs one step of the handshake (connect with key exchange, or an authentication) in libssh's
// non-blocking mode: `step` is retried while it returns `again`, between waits of one slice. In
// blocking mode a silent host holds the thread for the whole connect_timeout, deaf to Ctrl-C;
// here the cancel flag and the deadline are looked at every slice. Returns the step's last code.
template <typename Step>
Result<int> handshake_step(ssh_session session, std::string_view what, int again, Duration timeout, Step step)
{
    auto deadline = Clock::now() + timeout;
    for (;;) {
        int rc = step();
        if (rc != again) {
            return rc;
        }
        if (cancel_requested()) {
            return make_error(ErrorKind::interrupted, fmt::format("interrupted during {}", what));
        }
        if (Clock::now() >= deadline) {
            return make_error(ErrorKind::timeout,
                              fmt::format("no SSH answer within {} during {}", format_duration(timeout), what));
        }
        wait_for_socket(session);
    }
}

std::string expand_home(const std::string& path)
{
    if (path.rfind("~/", 0) == 0) {
        if (const char* home = std::getenv("HOME")) {
            return std::string(home) + path.substr(1);
        }
    }
    return path;
}

std::string option_string(ssh_session session, ssh_options_e option)
{
    char* value = nullptr;
    if (ssh_options_get(session, option, &value) != SSH_OK || value == nullptr) {
        return {};
    }
    std::string copy(value);
    ssh_string_free_char(value);
    return copy;
}

// TCP keepalives notice a host that vanished while a long command was quiet.
void enable_tcp_keepalive(ssh_session session)
{
    int fd = ssh_get_fd(session);
    if (fd < 0) {
        return;
    }
    int on = 1, idle = 60, interval = 10, count = 6;
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
}

Status apply_settings(ssh_session session, const Node& node)
{
    // ~/.ssh/config first: libssh lets config values overwrite options set before it, and the
    // cluster file must win. After this, ssh_connect must not parse the config again.
    if (ssh_options_parse_config(session, nullptr) != SSH_OK) {
        spdlog::warn("[{}] ignoring ~/.ssh/config or /etc/ssh/ssh_config: {}", node.host, ssh_get_error(session));
    }
    bool process_config = false;
    ssh_options_set(session, SSH_OPTIONS_PROCESS_CONFIG, &process_config);

    if (node.ssh.user && ssh_options_set(session, SSH_OPTIONS_USER, node.ssh.user->c_str()) != SSH_OK) {
        return make_error(ErrorKind::config, fmt::format("invalid ssh user {:?}", *node.ssh.user));
    }
    if (node.ssh.port) {
        unsigned int port = static_cast<unsigned int>(*node.ssh.port);
        ssh_options_set(session, SSH_OPTIONS_PORT, &port);
    }
    if (node.ssh.known_hosts) {
        std::string path = expand_home(*node.ssh.known_hosts);
        ssh_options_set(session, SSH_OPTIONS_KNOWNHOSTS, path.c_str());
    }
    // Nagle plus delayed ACKs costs ~40 ms per request/reply exchange in libssh 0.10.
    int nodelay = 1;
    ssh_options_set(session, SSH_OPTIONS_NODELAY, &nodelay);
    // Never weaken strict checking: in libssh 0.10 that turns a CHANGED key into OK.
    int strict = 1;
    ssh_options_set(session, SSH_OPTIONS_STRICTHOSTKEYCHECK, &strict);
    return {};
}

std::string server_key_fingerprint(ssh_session session)
{
    ssh_key raw = nullptr;
    if (ssh_get_server_publickey(session, &raw) != SSH_OK) {
        return "unknown";
    }
    KeyHandle key(raw);
    unsigned char* hash = nullptr;
    size_t length = 0;
    if (ssh_get_publickey_hash(key.get(), SSH_PUBLICKEY_HASH_SHA256, &hash, &length) != SSH_OK) {
        return "unknown";
    }
    char* text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, length);
    ssh_clean_pubkey_hash(&hash);
    std::string fingerprint = text ? text : "unknown";
    ssh_string_free_char(text);
    return fingerprint;
}

// Our own host key policy on top of libssh's lookup: unknown keys are refused unless the
// operator asked to record them; a changed key is always refused.
Status verify_host_key(ssh_session session, const Node& node, const SessionContext& context)
{
    std::string known_hosts = option_string(session, SSH_OPTIONS_KNOWNHOSTS);
    std::string fingerprint = server_key_fingerprint(session);
    switch (ssh_session_is_known_server(session)) {
    case SSH_KNOWN_HOSTS_OK:
        return {};
    case SSH_KNOWN_HOSTS_CHANGED:
    case SSH_KNOWN_HOSTS_OTHER:
        return make_error(ErrorKind::host_key,
                          fmt::format("HOST KEY CHANGED: {} now presents {} which does not match its entry in "
                                      "{}. This can be a reinstalled node or someone intercepting the "
                                      "connection; refusing to connect. If the change is expected, remove "
                                      "the old entry (ssh-keygen -R) and connect again.",
                                      node.host, fingerprint, known_hosts));
    case SSH_KNOWN_HOSTS_UNKNOWN:
    case SSH_KNOWN_HOSTS_NOT_FOUND:
        if (!context.accept_new_host_keys) {
            return make_error(ErrorKind::host_key,
                              fmt::format("unknown host key for {} ({}); it is not in {}. Verify it and add it, "
                                          "or run once with --accept-new-host-keys to record it.",
                                          node.host, fingerprint, known_hosts));
        }
        {
            std::lock_guard lock(context.known_hosts_mutex);
            if (ssh_session_update_known_hosts(session) != SSH_OK) {
                return make_error(ErrorKind::host_key, fmt::format("cannot record the host key of {} in {}: {}",
                                                                   node.host, known_hosts, ssh_get_error(session)));
            }
        }
        spdlog::warn("[{}] recorded new host key {} in {}", node.host, fingerprint, known_hosts);
        return {};
    case SSH_KNOWN_HOSTS_ERROR:
        break;
    }
    return make_error(ErrorKind::host_key,
                      fmt::format("cannot check the host key of {}: {}", node.host, ssh_get_error(session)));
}

Status auth_with_key(ssh_session session, const Node& node, KeyStore& keys, const std::string& path, bool& accepted)
{
    auto key = keys.key_for(path);
    if (!key) {
        return key.error();
    }
    auto rc = handshake_step(session, "authentication", SSH_AUTH_AGAIN, node.connect_timeout(),
                             [&] { return ssh_userauth_publickey(session, nullptr, key->get()); });
    if (!rc) {
        return rc.error();
    }
    if (*rc == SSH_AUTH_SUCCESS) {
        accepted = true;
    } else if (*rc == SSH_AUTH_ERROR) {
        return make_error(ErrorKind::connect, fmt::format("authentication broke off: {}", ssh_get_error(session)));
    }
    return {};
}

std::vector<std::string> default_identity_files()
{
    std::vector<std::string> files;
    for (const char* name : {"~/.ssh/id_ed25519", "~/.ssh/id_ecdsa", "~/.ssh/id_rsa"}) {
        std::string path = expand_home(name);
        std::error_code ec;
        if (std::filesystem::exists(path, ec)) {
            files.push_back(path);
        }
    }
    return files;
}

// The identity file of the cluster file when set; otherwise ssh-agent, then the usual key files.
Status authenticate(ssh_session session, const Node& node, KeyStore& keys)
{
    std::string user = option_string(session, SSH_OPTIONS_USER);
    std::vector<std::string> tried;
    bool accepted = false;
    if (node.ssh.identity_file) {
        std::string path = expand_home(*node.ssh.identity_file);
        if (auto status = auth_with_key(session, node, keys, path, accepted); !status) {
            return status;
        }
        tried.push_back(path);
    } else {
        if (std::getenv("SSH_AUTH_SOCK") != nullptr) {
            auto rc = handshake_step(session, "authentication with ssh-agent", SSH_AUTH_AGAIN, node.connect_timeout(),
                                     [&] { return ssh_userauth_agent(session, nullptr); });
            if (!rc) {
                return rc.error();
            }
            accepted = *rc == SSH_AUTH_SUCCESS;
            tried.emplace_back("ssh-agent");
        }
        for (const auto& path : default_identity_files()) {
            if (accepted) {
                break;
            }
            if (auto status = auth_with_key(session, node, keys, path, accepted);
                !status && status.error().kind != ErrorKind::auth) {
                return status;
            }
            tried.push_back(path);
        }
    }
    if (!accepted) {
        return make_error(ErrorKind::auth,
                          fmt::format("{}@{} refused every key offered ({})", user, node.host,
                                      tried.empty() ? std::string("no key found: set ssh.identity_file")
                                                    : fmt::format("{}", fmt::join(tried, ", "))));
    }
    return {};
}

// Collects a command's output as libssh hands it over; both streams at once, so neither can
// fill its window and stall the other.
struct ChannelState
{
    std::string out;
    std::string err;
    std::string first_line; // stdout until the pid marker line is complete
    bool marker_seen = false;
    long pid = -1;
    bool eof = false;
    bool closed = false;
    bool got_status = false;
    int exit_status = -1;
    std::string exit_signal;
    Clock::time_point last_data = Clock::now();

    void take_stdout(const char* data, std::size_t length)
    {
        if (marker_seen) {
            out.append(data, length);
            return;
        }
        first_line.append(data, length);
        auto newline = first_line.find('\n');
        if (newline == std::string::npos && first_line.size() < 64) {
            return;
        }
        marker_seen = true;
        if (newline != std::string::npos && first_line.rfind(k_pid_marker, 0) == 0) {
            pid = std::strtol(first_line.c_str() + k_pid_marker.size(), nullptr, 10);
            out.append(first_line, newline + 1);
        } else {
            out.append(first_line); // something printed before our marker: keep it all
        }
        first_line.clear();
    }

    void take_stderr(const char* data, std::size_t length)
    {
        err.append(data, length);
        if (err.size() > k_max_stderr_bytes) {
            err.erase(0, err.size() - k_max_stderr_bytes);
        }
    }
};

// Unregisters channel callbacks when the scope that owns their state ends.
class CallbacksRegistration
{
  public:
    CallbacksRegistration(ssh_channel channel, ssh_channel_callbacks callbacks)
        : m_channel(channel), m_callbacks(callbacks)
    {
    }
    CallbacksRegistration(const CallbacksRegistration&) = delete;
    CallbacksRegistration& operator=(const CallbacksRegistration&) = delete;
    ~CallbacksRegistration() { ssh_remove_channel_callbacks(m_channel, m_callbacks); }

  private:
    ssh_channel m_channel;
    ssh_channel_callbacks m_callbacks;
};

int on_data(ssh_session, ssh_channel, void* data, uint32_t length, int is_stderr, void* userdata)
{
    auto* state = static_cast<ChannelState*>(userdata);
    const char* bytes = static_cast<const char*>(data);
    if (is_stderr) {
        state->take_stderr(bytes, length);
    } else {
        state->take_stdout(bytes, length);
    }
    state->last_data = Clock::now();
    return static_cast<int>(length);
}

void on_eof(ssh_session, ssh_channel, void* userdata)
{
    static_cast<ChannelState*>(userdata)->eof = true;
}

void on_close(ssh_session, ssh_channel, void* userdata)
{
    static_cast<ChannelState*>(userdata)->closed = true;
}

void on_exit_status(ssh_session, ssh_channel, int exit_status, void* userdata)
{
    auto* state = static_cast<ChannelState*>(userdata);
    state->exit_status = exit_status;
    state->got_status = true;
}

void on_exit_signal(ssh_session, ssh_channel, const char* signal, int, const char*, const char*, void* userdata)
{
    auto* state = static_cast<ChannelState*>(userdata);
    state->exit_signal = signal ? signal : "?";
    state->got_status = true;
}

// Writes the command's stdin whole, then end of file, so a command that reads stdin never waits
// for more. Small inputs (a config file) fit the channel window, so the write does not block.
bool send_input(ssh_channel channel, const std::string& input)
{
    std::size_t sent = 0;
    while (sent < input.size()) {
        auto chunk = static_cast<uint32_t>(std::min<std::size_t>(input.size() - sent, 32 * 1024));
        int written = ssh_channel_write(channel, input.data() + sent, chunk);
        if (written <= 0) {
            return false;
        }
        sent += static_cast<std::size_t>(written);
    }
    return ssh_channel_send_eof(channel) == SSH_OK;
}

// libssh's last error on the session; never empty, so that no message ends on a colon.
std::string libssh_reason(ssh_session session)
{
    std::string reason = ssh_get_error(session);
    if (!reason.empty()) {
        return reason;
    }
    return ssh_is_connected(session) ? "libssh gave no reason (the session is still up)"
                                     : "libssh gave no reason (the session is closed)";
}

// A channel running one command, with the run's callbacks registered on it for its lifetime
// (the registration goes first: it is declared last).
struct StartedChannel
{
    ChannelHandle channel;
    std::unique_ptr<CallbacksRegistration> registration;
};

// Opens a channel and asks it to run `command`. Both fail before the command runs when the node
// refuses them, so a refusal is tried again while the session is up, a few times with growing
// pauses; a request left unanswered (the node may run it yet) never is. The error says what
// failed, after how many attempts over how long, and libssh's reason.
Result<StartedChannel> start_command(ssh_session session, const std::string& host, const std::string& command,
                                     ssh_channel_callbacks callbacks, Clock::time_point deadline)
{
    auto first = Clock::now();
    auto pause = k_first_start_pause;
    for (int attempt = 1;; ++attempt) {
        StartedChannel started;
        std::string failed;
        bool may_have_run = false;
        started.channel.reset(ssh_channel_new(session));
        if (!started.channel || ssh_channel_open_session(started.channel.get()) != SSH_OK) {
            failed = "cannot open a channel";
        } else {
            ssh_set_channel_callbacks(started.channel.get(), callbacks);
            started.registration = std::make_unique<CallbacksRegistration>(started.channel.get(), callbacks);
            int asked = ssh_channel_request_exec(started.channel.get(), command.c_str());
            if (asked != SSH_OK) {
                failed = "cannot start the command";
                // Refused by the node (SSH_ERROR on a live session): not run. No answer in time:
                // the node may run it yet.
                may_have_run = asked != SSH_ERROR;
            }
        }
        if (failed.empty()) {
            return started;
        }
        std::string reason = libssh_reason(session);
        bool again = start_again(StartFailure{may_have_run, attempt, ssh_is_connected(session) != 0, cancel_requested(),
                                              Clock::now() + pause < deadline});
        if (!again) {
            return make_error(ErrorKind::connect,
                              fmt::format("{} ({} attempt{} over {}): {}", failed, attempt, attempt == 1 ? "" : "s",
                                          format_duration(since(first)), reason));
        }
        spdlog::debug("[{}] {} (attempt {}): {}; trying again in {}", host, failed, attempt, reason,
                      format_duration(pause));
        std::this_thread::sleep_for(pause);
        pause *= 3;
    }
}

} // namespace

bool start_again(const StartFailure& failure)
{
    return !failure.may_have_run && failure.attempt < k_start_attempts && failure.session_up && !failure.cancelled &&
           failure.time_left;
}

Result<Session> Session::open(const Node& node, const SessionContext& context)
{
    SessionHandle handle(ssh_new());
    if (!handle) {
        return make_error(ErrorKind::internal, "cannot allocate an SSH session");
    }
    ssh_session session = handle.get();
    if (ssh_options_set(session, SSH_OPTIONS_HOST, node.host.c_str()) != SSH_OK) {
        return make_error(ErrorKind::config, fmt::format("{} is not a host name or address libssh accepts", node.host));
    }
    if (auto status = apply_settings(session, node); !status) {
        return status.error();
    }
    Session result(std::move(handle), node);
    ssh_set_blocking(session, 0); // the handshake is cancellable: see handshake_step
    auto start = Clock::now();
    auto connected = handshake_step(session, "the SSH handshake", SSH_AGAIN, node.connect_timeout(),
                                    [&] { return ssh_connect(session); });
    if (!connected) {
        return connected.error();
    }
    if (*connected != SSH_OK) {
        std::string reason = ssh_get_error(session);
        bool timed_out = reason.find("Timeout") != std::string::npos || since(start) >= node.connect_timeout();
        return make_error(
            timed_out ? ErrorKind::timeout : ErrorKind::connect,
            timed_out ? fmt::format("no SSH answer within {}: {}", format_duration(node.connect_timeout()), reason)
                      : fmt::format("cannot connect: {}", reason));
    }
    enable_tcp_keepalive(session);
    if (auto status = verify_host_key(session, node, context); !status) {
        return status.error();
    }
    if (auto status = authenticate(session, node, context.keys); !status) {
        return status.error();
    }
    ssh_set_blocking(session, 1);
    result.set_blocking_timeout(node.connect_timeout());
    return result;
}

void Session::set_blocking_timeout(Duration timeout)
{
    long usec = static_cast<long>(std::chrono::duration_cast<std::chrono::microseconds>(timeout).count());
    ssh_options_set(m_session.get(), SSH_OPTIONS_TIMEOUT_USEC, &usec);
}

Result<std::chrono::microseconds> Session::measure_round_trip()
{
    set_blocking_timeout(k_housekeeping_timeout);
    auto start = Clock::now();
    ssh_send_keepalive(m_session.get()); // waits for the reply (or the timeout)
    auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
    if (!ssh_is_connected(m_session.get()) || elapsed >= k_housekeeping_timeout) {
        return make_error(ErrorKind::connect, "the node stopped answering");
    }
    return elapsed;
}

Result<CommandOutput> Session::run(const std::string& command, const std::string& input, Duration timeout)
{
    ssh_session session = m_session.get();
    auto start = Clock::now();
    auto deadline = start + timeout;
    set_blocking_timeout(k_housekeeping_timeout);

    ChannelState state;
    ssh_channel_callbacks_struct callbacks{};
    callbacks.userdata = &state;
    callbacks.channel_data_function = on_data;
    callbacks.channel_eof_function = on_eof;
    callbacks.channel_close_function = on_close;
    callbacks.channel_exit_status_function = on_exit_status;
    callbacks.channel_exit_signal_function = on_exit_signal;
    ssh_callbacks_init(&callbacks);

    std::string wrapped = fmt::format("printf '{}%s\\n' \"$$\"; {}", k_pid_marker, command);
    auto started = start_command(session, m_host, wrapped, &callbacks, deadline);
    if (!started) {
        return started.error();
    }
    ssh_channel channel = started->channel.get();
    if (auto sent = send_input(channel, input); !sent) {
        return make_error(ErrorKind::connect,
                          fmt::format("cannot send the command's input: {}", libssh_reason(session)));
    }

    // Called when we give up on a command: stop it on the node, then report why.
    auto abandon = [&](ErrorKind kind, std::string reason) -> Result<CommandOutput> {
        if (state.pid > 0) {
            if (auto killed = kill_process_group(state.pid); !killed) {
                spdlog::warn("[{}] could not stop remote process group {}: {}", m_host, state.pid,
                             killed.error().message);
            }
        }
        ssh_channel_close(channel);
        return make_error(kind, std::move(reason));
    };
    auto last_keepalive = Clock::now();
    auto check_limits = [&]() -> std::optional<Result<CommandOutput>> {
        if (cancel_requested()) {
            return abandon(ErrorKind::interrupted, "interrupted");
        }
        if (Clock::now() >= deadline) {
            return abandon(ErrorKind::timeout, fmt::format("no result within {}", format_duration(timeout)));
        }
        return std::nullopt;
    };

    while (!state.eof && !state.closed) {
        if (auto stop = check_limits()) {
            return std::move(*stop);
        }
        if (ssh_channel_poll_timeout(channel, k_read_slice_ms, 0) == SSH_ERROR) {
            return make_error(ErrorKind::connect, fmt::format("connection lost: {}", libssh_reason(session)));
        }
        auto now = Clock::now();
        if (now - state.last_data > k_keepalive_interval && now - last_keepalive > k_keepalive_interval) {
            ssh_send_keepalive(session);
            last_keepalive = now;
        }
    }
    // The exit status follows EOF; wait for it (or the close) in short slices.
    set_blocking_timeout(std::chrono::milliseconds(k_read_slice_ms));
    while (!state.got_status && !state.closed) {
        if (auto stop = check_limits()) {
            return std::move(*stop);
        }
        ssh_channel_get_exit_status(channel);
        if (!ssh_is_connected(session)) {
            return make_error(ErrorKind::connect, "connection lost before the exit status arrived");
        }
    }
    ssh_channel_close(channel);

    if (!state.marker_seen) {
        state.out += state.first_line;
    }
    CommandOutput output;
    output.exit_status = state.exit_status;
    output.exit_signal = state.exit_signal;
    output.out = std::move(state.out);
    output.err = std::move(state.err);
    output.duration = since(start);
    return output;
}

Status Session::kill_process_group(long pid)
{
    // TERM first, then KILL for whatever is still there a moment later. No `--` before the
    // negative pid: dash's kill (the login shell of many service users) rejects it.
    std::string killer =
        fmt::format("kill -TERM -{0} 2>/dev/null || exit 0; i=0; while kill -0 -{0} 2>/dev/null && [ $i -lt 20 ]; "
                    "do sleep 0.1; i=$((i+1)); done; kill -KILL -{0} 2>/dev/null; exit 0",
                    pid);
    set_blocking_timeout(k_housekeeping_timeout);
    ChannelHandle channel(ssh_channel_new(m_session.get()));
    if (!channel || ssh_channel_open_session(channel.get()) != SSH_OK ||
        ssh_channel_request_exec(channel.get(), killer.c_str()) != SSH_OK) {
        return make_error(ErrorKind::connect, ssh_get_error(m_session.get()));
    }
    ssh_channel_get_exit_status(channel.get());
    ssh_channel_close(channel.get());
    spdlog::debug("[{}] stopped remote process group {}", m_host, pid);
    return {};
}

} // namespace ringsnap::ssh
