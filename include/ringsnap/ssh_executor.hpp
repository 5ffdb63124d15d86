// SPDX-License-Identifier: Apache-2.0
#pragma once

// The real executor: SSH (libssh) to every node. Only this factory is public; libssh itself
// stays inside src/ssh.

#include <memory>

#include <ringsnap/executor.hpp>

namespace ringsnap {

// One worker thread per node in flight, one SSH session per node, reused for every command of
// that node's job. Connection failures (refused, reset) are retried with backoff up to the
// node's connect_retries; a command that already ran is never retried.
std::unique_ptr<Executor> make_ssh_executor(const ExecutorOptions& options);

} // namespace ringsnap
