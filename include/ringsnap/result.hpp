// SPDX-License-Identifier: Apache-2.0
#pragma once

// Result<T>: a value or an Error, the subset of std::expected we need (g++ 12 has no
// std::expected in C++20). Low-level code returns Result; only the top level turns an Error
// into a message and an exit code.

#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace ringsnap {

// What went wrong, coarse enough for exit codes and per-node reports.
enum class ErrorKind {
    usage,       // bad command line: nothing was touched
    config,      // bad cluster file or settings: nothing was touched
    catalog,     // the catalog cannot be used: its place (the cluster file's `catalog:`), or a
                 // manifest or record in it that cannot be read or breaks a rule: nothing was touched
    connect,     // TCP or SSH handshake failed
    auth,        // the node refused our credentials
    host_key,    // the node's host key is unknown or changed
    timeout,     // a deadline passed (connect, authentication or command)
    command,     // a remote command ran and failed
    parse,       // a remote output did not have the expected shape
    io,          // local file system
    interrupted, // Ctrl-C / SIGTERM
    internal,    // a bug
};

const char* to_string(ErrorKind kind);

struct Error
{
    ErrorKind kind = ErrorKind::internal;
    std::string message;
};

inline Error make_error(ErrorKind kind, std::string message)
{
    return Error{kind, std::move(message)};
}

// Thrown by Result::value() on an error: a bug in the caller, who should have checked.
class BadResultAccess : public std::logic_error
{
  public:
    explicit BadResultAccess(const Error& error) : std::logic_error("value() on an error result: " + error.message) {}
};

template <class T> class [[nodiscard]] Result
{
  public:
    Result(T value) : m_state(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : m_state(std::in_place_index<1>, std::move(error)) {}

    bool has_value() const { return m_state.index() == 0; }
    explicit operator bool() const { return has_value(); }

    T& value() &
    {
        check();
        return std::get<0>(m_state);
    }
    const T& value() const&
    {
        check();
        return std::get<0>(m_state);
    }
    T&& value() &&
    {
        check();
        return std::get<0>(std::move(m_state));
    }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    const Error& error() const { return std::get<1>(m_state); }

  private:
    void check() const
    {
        if (!has_value()) {
            throw BadResultAccess(error());
        }
    }
    std::variant<T, Error> m_state;
};

template <> class [[nodiscard]] Result<void>
{
  public:
    Result() = default;
    Result(Error error) : m_error(std::move(error)), m_failed(true) {}

    bool has_value() const { return !m_failed; }
    explicit operator bool() const { return has_value(); }
    const Error& error() const { return m_error; }

  private:
    Error m_error;
    bool m_failed = false;
};

using Status = Result<void>;

} // namespace ringsnap
