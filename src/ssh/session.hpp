// SPDX-License-Identifier: Apache-2.0
#pragma once

// One SSH session to one node: connect, check the host key, authenticate, then run any number of
// commands on it. A session belongs to one thread at a time (libssh's threading rule).

#include <mutex>
#include <string>

#include <ringsnap/cluster.hpp>
#include <ringsnap/executor.hpp>
#include <ringsnap/result.hpp>

#include "ssh/handles.hpp"
#include "ssh/key_store.hpp"

namespace ringsnap::ssh {

// What every session of a run shares.
struct SessionContext
{
    KeyStore& keys;
    std::mutex& known_hosts_mutex; // known_hosts appends are serialised (libssh does fopen "a")
    bool accept_new_host_keys = false;
};

class Session
{
  public:
    // Connects and authenticates within the node's connect_timeout. Errors:
    // ErrorKind::connect (refused, unreachable, handshake failed), timeout (no answer in time),
    // host_key (unknown without --accept-new-host-keys, or changed: always refused), auth.
    static Result<Session> open(const Node& node, const SessionContext& context);

    // Runs `command` through the node's login shell until it ends or `timeout` passes, with
    // `input` on its stdin followed by end of file. Reads stdout and stderr together. On timeout or cancel the remote
    // process group is killed (a closed channel alone does not stop a command without a terminal) and the error is
    // ErrorKind::timeout / interrupted. A broken session is ErrorKind::connect. A channel the node refuses to open,
    // or a command it refuses to start, has not run: that is tried again (3 attempts, 100 ms then 300 ms apart)
    // before it is an ErrorKind::connect naming the attempts, their time and libssh's reason.
    Result<CommandOutput> run(const std::string& command, const std::string& input, Duration timeout);

    // One SSH request/reply round trip (a keepalive), or an error if the peer stopped answering.
    Result<std::chrono::microseconds> measure_round_trip();

  private:
    Session(SessionHandle handle, const Node& node) : m_session(std::move(handle)), m_host(node.host) {}

    Status kill_process_group(long pid);
    void set_blocking_timeout(Duration timeout);

    SessionHandle m_session;
    std::string m_host;
};

// A command that failed to start, as start_command saw it, and whether it is tried again.
struct StartFailure
{
    bool may_have_run = false; // the exec request went unanswered: the node may run it yet
    int attempt = 1;           // the attempt that failed, from 1
    bool session_up = true;
    bool cancelled = false;
    bool time_left = true; // the pause before another attempt ends before the step's deadline
};

// Only a refusal (the node said no to the channel or to the exec request, so nothing ran) is
// tried again, at most three attempts in all, while the session is up, nothing cancelled the run
// and the step's deadline leaves room. A command that may have run is never started twice.
bool start_again(const StartFailure& failure);

} // namespace ringsnap::ssh
