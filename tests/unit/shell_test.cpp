// SPDX-License-Identifier: Apache-2.0
#include <ringsnap/shell.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/shells.hpp"

namespace ringsnap {
namespace {

// Runs `script` with `shell -c` and returns what it wrote on stdout, byte for byte.
std::string run_shell(const std::string& shell, const std::string& script)
{
    int fds[2];
    if (pipe(fds) != 0) {
        throw std::runtime_error("pipe failed");
    }
    pid_t pid = fork();
    if (pid < 0) {
        throw std::runtime_error("fork failed");
    }
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execl(shell.c_str(), shell.c_str(), "-c", script.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    close(fds[1]);
    std::string out;
    char buffer[4096];
    for (ssize_t n; (n = read(fds[0], buffer, sizeof buffer)) > 0;) {
        out.append(buffer, static_cast<std::size_t>(n));
    }
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        throw std::runtime_error("shell failed on: " + script);
    }
    return out;
}

std::vector<std::string> hostile_strings()
{
    std::vector<std::string> strings{
        "'",
        "\"",
        ";",
        "$(id)",
        "`id`",
        "a\nb",
        "-rf",
        "--",
        "-",
        "a b",
        "",
        " ",
        "  two  spaces  ",
        "héllo wörld",
        "日本語",
        "*",
        "?",
        "[a]",
        "\\",
        "\\'",
        "'\\''",
        "$HOME",
        "${HOME}",
        "~",
        "~root",
        "a'b'c",
        "''",
        "'''",
        "!",
        "!!",
        "#not a comment",
        "&",
        "&&",
        "|",
        "||",
        ">",
        ">>/tmp/x",
        "<",
        "(",
        ")",
        "{a,b}",
        "%s",
        "%%",
        "\t",
        "\r",
        "\r\n",
        "\x01\x02\x1b[31m",
        "\x7f",
        "\xff\xfe",
        "abc\n",
        "\n\n",
        "a=b",
        "=",
        "IFS=x",
        "; rm -rf / #",
        "$(printf '%s' \"$(id)\")",
        "`echo '`'`",
        "\"$@\"",
        "'; echo pwned; '",
        "\"; echo pwned; \"",
        "$'\\n'",
        "\\\n",
        "a\\",
        "ks.tbl",
        "/var/lib/x",
    };
    std::string all_bytes;
    for (int c = 1; c < 256; ++c) {
        all_bytes += static_cast<char>(c);
    }
    strings.push_back(all_bytes);
    strings.push_back(std::string(2000, '\'')); // x4 quoted, x16 quoted twice: under Linux's 128 KiB per argument
    return strings;
}

TEST(ShellQuote, LeavesSafeWordsBare)
{
    for (const char* word : {"abc", "/var/lib/x", "ks.tbl", "-t", "--tag=nightly-2026-11-23", "a,b", "user@host",
                             "10.0.1.11:22", "+x", "50%", "ABC_xyz-09", "="}) {
        EXPECT_EQ(shell_quote(word), word);
    }
}

TEST(ShellQuote, QuotesEmptyString)
{
    EXPECT_EQ(shell_quote(""), "''");
}

TEST(ShellQuote, SingleQuotesEverythingElse)
{
    EXPECT_EQ(shell_quote("a b"), "'a b'");
    EXPECT_EQ(shell_quote("$(id)"), "'$(id)'");
    EXPECT_EQ(shell_quote("`id`"), "'`id`'");
    EXPECT_EQ(shell_quote("a;b"), "'a;b'");
    EXPECT_EQ(shell_quote("\""), "'\"'");
    EXPECT_EQ(shell_quote("a\nb"), "'a\nb'");
    EXPECT_EQ(shell_quote("*"), "'*'");
    EXPECT_EQ(shell_quote("\\"), "'\\'");
    EXPECT_EQ(shell_quote("~"), "'~'");
    EXPECT_EQ(shell_quote("-a b"), "'-a b'");
    EXPECT_EQ(shell_quote("日本"), "'日本'");
}

TEST(ShellQuote, WritesSingleQuoteAsCloseEscapeReopen)
{
    EXPECT_EQ(shell_quote("'"), "''\\'''");
    EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
}

TEST(ShellQuote, ThrowsOnNulByte)
{
    EXPECT_THROW(static_cast<void>(shell_quote(std::string("a\0b", 3))), std::invalid_argument);
}

// `printf '%s\0' <quoted>...`: every string back, NUL-terminated (none of them holds a NUL).
std::string printf_all(const std::vector<std::string>& strings)
{
    std::string script = "printf '%s\\0'";
    for (const auto& text : strings) {
        script += " " + shell_quote(text);
    }
    return script;
}

std::vector<std::string> split_at_nul(const std::string& out)
{
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (std::size_t end; (end = out.find('\0', start)) != std::string::npos; start = end + 1) {
        parts.push_back(out.substr(start, end - start));
    }
    return parts;
}

void expect_same_strings(const std::vector<std::string>& got, const std::vector<std::string>& want,
                         const std::string& context)
{
    ASSERT_EQ(got.size(), want.size()) << context;
    for (std::size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(got[i], want[i]) << context << " with " << quote_for_message(want[i]);
    }
}

TEST(ShellQuote, RoundTripsHostileStringsThroughRealShells)
{
    auto strings = hostile_strings();
    for (const auto& shell : testing::node_shells()) {
        expect_same_strings(split_at_nul(run_shell(shell, printf_all(strings))), strings, shell);
    }
}

TEST(ShellQuote, RoundTripsEachStringAlone)
{
    // One command per string: a quoting slip cannot hide behind its neighbours.
    for (const auto& text : hostile_strings()) {
        EXPECT_EQ(run_shell("/bin/sh", "printf %s " + shell_quote(text)), text) << quote_for_message(text);
    }
}

TEST(ShellQuote, RoundTripsWhenQuotedTwiceForShDashC)
{
    // with_sudo wraps a quoted command in `sh -c '<command>'`: two levels of quoting.
    auto strings = hostile_strings();
    for (const auto& shell : testing::node_shells()) {
        std::string outer = "sh -c " + shell_quote(printf_all(strings));
        expect_same_strings(split_at_nul(run_shell(shell, outer)), strings, shell);
    }
}

TEST(ShellJoin, QuotesEachArgumentAndJoinsWithSpaces)
{
    EXPECT_EQ(shell_join({"nodetool", "snapshot", "-t", "my tag", "ks"}), "nodetool snapshot -t 'my tag' ks");
    EXPECT_EQ(shell_join({"echo", ""}), "echo ''");
    EXPECT_EQ(shell_join({}), "");
}

TEST(ShellJoin, KeepsEveryArgumentSeparateInARealShell)
{
    std::vector<std::string> argv{"printf", "[%s]"};
    std::string expected;
    for (const auto& text : hostile_strings()) {
        argv.push_back(text);
        expected += "[" + text + "]";
    }
    EXPECT_EQ(run_shell("/bin/sh", shell_join(argv)), expected);
}

TEST(WithSudo, LeavesCommandUnchangedWithoutUser)
{
    EXPECT_EQ(with_sudo("nodetool status", std::nullopt), "nodetool status");
    EXPECT_EQ(with_sudo("nodetool status", std::string()), "nodetool status");
}

TEST(WithSudo, WrapsCommandInNonInteractiveSudoShell)
{
    EXPECT_EQ(with_sudo("nodetool status", std::string("cassandra")),
              "sudo -n -u cassandra -- sh -c 'nodetool status'");
    EXPECT_EQ(with_sudo("ls 'a b' | wc -l", std::string("cassandra")),
              "sudo -n -u cassandra -- sh -c 'ls '\\''a b'\\'' | wc -l'");
}

TEST(WithSudo, RunsTheCommandIntactUnderAFakeSudo)
{
    // A shell function stands in for sudo: it checks the options and runs what follows `--`.
    const std::string fake_sudo = "sudo() { [ \"$1 $2 $3 $4\" = '-n -u cassandra --' ] || exit 9; shift 4; \"$@\"; }; ";
    auto strings = hostile_strings();
    std::string command = printf_all(strings) + " | cat"; // a pipe must stay on the sudo side
    for (const auto& shell : testing::node_shells()) {
        std::string out = run_shell(shell, fake_sudo + with_sudo(command, std::string("cassandra")));
        expect_same_strings(split_at_nul(out), strings, shell);
    }
}

TEST(WithSudo, QuotesTheUserName)
{
    EXPECT_EQ(with_sudo("id", std::string("a b")), "sudo -n -u 'a b' -- sh -c id");
}

TEST(QuoteForMessage, CutsLongValuesAtACharacterBoundaryAndSaysTheirLength)
{
    std::string huge(10 * 1024 * 1024, 'x');
    std::string shown = quote_for_message(huge);
    EXPECT_LE(shown.size(), k_max_quoted_chars);
    EXPECT_EQ(shown.rfind("\"xxxx", 0), 0u) << shown;
    EXPECT_NE(shown.find("\"... (10485760 bytes)"), std::string::npos) << shown;
    // Escapes count at their shown width, and a UTF-8 character is never split.
    for (const std::string& unit : {std::string("\x1b"), std::string("日")}) {
        std::string repeated;
        while (repeated.size() < 500) {
            repeated += unit;
        }
        shown = quote_for_message(repeated);
        EXPECT_LE(shown.size(), k_max_quoted_chars) << shown;
        std::string kept = shown.substr(1, shown.find("\"...") - 1);
        EXPECT_EQ(kept.size() % (unit == "\x1b" ? 4 : 3), 0u) << shown;
    }
    EXPECT_EQ(quote_for_message(std::string(78, 'y')), "\"" + std::string(78, 'y') + "\"");
}

TEST(QuoteForMessage, EscapesControlCharactersQuotesAndBackslashes)
{
    EXPECT_EQ(quote_for_message("abc"), "\"abc\"");
    EXPECT_EQ(quote_for_message("a\nb\tc\r"), "\"a\\nb\\tc\\r\"");
    EXPECT_EQ(quote_for_message("\x1b[31m\x7f"), "\"\\x1b[31m\\x7f\"");
    EXPECT_EQ(quote_for_message("say \"hi\" \\"), "\"say \\\"hi\\\" \\\\\"");
    EXPECT_EQ(quote_for_message("日本"), "\"日本\"");
    EXPECT_EQ(quote_for_message(""), "\"\"");
}

TEST(ValidateCqlIdentifier, AcceptsCassandraNames)
{
    for (const char* name : {"a", "billing", "Invoices_2024", "_x", "0abc", "system_schema",
                             "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuv"}) {
        EXPECT_TRUE(validate_cql_identifier(name, "keyspace")) << name;
    }
}

TEST(ValidateCqlIdentifier, RejectsEmptyLongAndForeignCharacters)
{
    auto empty = validate_cql_identifier("", "keyspace");
    ASSERT_FALSE(empty);
    EXPECT_EQ(empty.error().kind, ErrorKind::usage);
    EXPECT_EQ(empty.error().message, "the keyspace name is empty");

    auto long_name = validate_cql_identifier(std::string(49, 'a'), "table");
    ASSERT_FALSE(long_name);
    EXPECT_NE(long_name.error().message.find("49 characters long; Cassandra allows at most 48"), std::string::npos);

    for (const char* name :
         {"a b", "a-b", "a.b", "a;b", "$(id)", "`id`", "a'b", "a\nb", "é", "*", "a/b", "-t", "ks\\"}) {
        auto status = validate_cql_identifier(name, "table");
        ASSERT_FALSE(status) << name;
        EXPECT_EQ(status.error().kind, ErrorKind::usage);
        EXPECT_NE(status.error().message.find("invalid table name"), std::string::npos) << name;
    }
}

TEST(ValidateCqlIdentifier, NamesTheFirstBadCharacterSafely)
{
    auto status = validate_cql_identifier("bad\nname", "keyspace");
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error().message,
              "invalid keyspace name \"bad\\nname\": it contains \"\\n\"; Cassandra names use only letters, "
              "digits and '_'");
}

TEST(ValidateCqlIdentifier, SaysWhatToFix)
{
    EXPECT_TRUE(validate_cql_identifier(std::string(48, 'k'), "keyspace"));
    auto too_long = validate_cql_identifier(std::string(49, 'k'), "keyspace");
    ASSERT_FALSE(too_long);
    EXPECT_EQ(too_long.error().kind, ErrorKind::usage);
    EXPECT_EQ(too_long.error().message,
              "keyspace name \"" + std::string(49, 'k') + "\" is 49 characters long; Cassandra allows at most 48");
    auto dash = validate_cql_identifier("my-table", "table");
    ASSERT_FALSE(dash);
    EXPECT_EQ(dash.error().kind, ErrorKind::usage);
    EXPECT_EQ(dash.error().message,
              "invalid table name \"my-table\": it contains \"-\"; Cassandra names use only letters, digits and '_'");
    EXPECT_EQ(validate_cql_identifier("", "table").error().message, "the table name is empty");
}

TEST(ValidateTag, AcceptsTagCharacters)
{
    for (const char* tag : {"nightly-2026-11-23", "before_migration", "v1.2.3", "a", "A.b-c_d", "x..y", "-dash"}) {
        EXPECT_TRUE(validate_tag(tag)) << tag;
    }
    EXPECT_TRUE(validate_tag(std::string(200, 't')));
}

TEST(ValidateTag, RejectsLeadingDotDotsAndDotDot)
{
    for (const char* tag : {".", "..", ".hidden"}) {
        auto status = validate_tag(tag);
        ASSERT_FALSE(status) << tag;
        EXPECT_EQ(status.error().kind, ErrorKind::usage);
        EXPECT_NE(status.error().message.find("must not start with '.'"), std::string::npos) << tag;
    }
}

TEST(ValidateTag, RejectsEmptyTooLongAndForeignCharacters)
{
    EXPECT_EQ(validate_tag("").error().message, "the tag is empty");
    EXPECT_EQ(validate_tag(std::string(201, 't')).error().message, "the tag is 201 characters long; at most 200");
    for (const char* tag :
         {"a/b", "a b", "a:b", "a;b", "$(id)", "`id`", "a'b", "a\"b", "a\nb", "日本", "*", "~x", "a\\b", "a@b"}) {
        auto status = validate_tag(tag);
        ASSERT_FALSE(status) << tag;
        EXPECT_EQ(status.error().kind, ErrorKind::usage);
        EXPECT_NE(status.error().message.find("use letters, digits, '_', '.' and '-'"), std::string::npos) << tag;
    }
}

TEST(ValidateTag, SaysWhatToFix)
{
    EXPECT_EQ(validate_tag("..").error().message, "invalid tag \"..\": it must not start with '.'");
    EXPECT_EQ(validate_tag(".nightly").error().message, "invalid tag \".nightly\": it must not start with '.'");
    EXPECT_EQ(validate_tag("a/b").error().message,
              "invalid tag \"a/b\": it contains \"/\"; use letters, digits, '_', '.' and '-'");
    EXPECT_EQ(validate_tag("before migration").error().message,
              "invalid tag \"before migration\": it contains \" \"; use letters, digits, '_', '.' and '-'");
    EXPECT_EQ(validate_tag("../etc").error().message,
              "invalid tag \"../etc\": it contains \"/\"; use letters, digits, '_', '.' and '-'");
}

TEST(ValidateTag, ShowsANonAsciiCharacterWhole)
{
    EXPECT_EQ(validate_tag("b\xc3\xa4"
                           "d")
                  .error()
                  .message,
              "invalid tag \"b\xc3\xa4"
              "d\": it contains \"\xc3\xa4\"; use letters, digits, '_', '.' and '-'");
    EXPECT_EQ(validate_tag("snap-\xe2\x82\xac").error().message,
              "invalid tag \"snap-\xe2\x82\xac\": it contains \"\xe2\x82\xac\"; use letters, digits, '_', '.' and '-'");
    // A byte that starts no whole character is shown alone.
    EXPECT_EQ(
        validate_cql_identifier("a\xc3", "keyspace").error().message,
        "invalid keyspace name \"a\xc3\": it contains \"\xc3\"; Cassandra names use only letters, digits and '_'");
}

TEST(ParseKeyspaceTable, SplitsAtTheDot)
{
    auto parsed = parse_keyspace_table("billing.invoices");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->keyspace, "billing");
    EXPECT_EQ(parsed->table, "invoices");
}

TEST(ParseKeyspaceTable, RejectsMissingOrExtraDots)
{
    for (const char* text : {"billing", "a.b.c", "", "."}) {
        auto parsed = parse_keyspace_table(text);
        ASSERT_FALSE(parsed) << text;
        EXPECT_EQ(parsed.error().kind, ErrorKind::usage);
    }
    EXPECT_EQ(parse_keyspace_table("billing").error().message, "expected KEYSPACE.TABLE (one dot), got \"billing\"");
}

TEST(ParseKeyspaceTable, ValidatesBothNames)
{
    EXPECT_EQ(parse_keyspace_table(".t").error().message, "the keyspace name is empty");
    EXPECT_EQ(parse_keyspace_table("ks.").error().message, "the table name is empty");
    EXPECT_NE(parse_keyspace_table("ks.t;rm").error().message.find("invalid table name"), std::string::npos);
    EXPECT_NE(parse_keyspace_table("k s.t").error().message.find("invalid keyspace name"), std::string::npos);
}

TEST(ParseKeyspaceTable, SaysWhatIsWrongWithEachForm)
{
    auto ok = parse_keyspace_table("ks.t");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->keyspace, "ks");
    EXPECT_EQ(ok->table, "t");
    struct Case
    {
        const char* text;
        const char* message;
    };
    for (const Case& c : {
             Case{"ks", "expected KEYSPACE.TABLE (one dot), got \"ks\""},
             Case{"ks.t.x", "expected KEYSPACE.TABLE (one dot), got \"ks.t.x\""},
             Case{"ks.", "the table name is empty"},
             Case{".t", "the keyspace name is empty"},
             Case{"k s.t", "invalid keyspace name \"k s\": it contains \" \"; Cassandra names use only letters, "
                           "digits and '_'"},
             Case{"ks.my-table", "invalid table name \"my-table\": it contains \"-\"; Cassandra names use only "
                                 "letters, digits and '_'"},
         }) {
        auto parsed = parse_keyspace_table(c.text);
        ASSERT_FALSE(parsed) << c.text;
        EXPECT_EQ(parsed.error().kind, ErrorKind::usage) << c.text;
        EXPECT_EQ(parsed.error().message, c.message);
    }
}

} // namespace
} // namespace ringsnap
