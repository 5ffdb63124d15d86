"""cqlsh for a simulated node: `cqlsh [options] [host [port]]` with -e, -f FILE or statements on
stdin, printing results the way cqlsh does when not on a terminal:

    <blank>
     id | v
    ----+-----
      1 | one
    <blank>
    (1 rows)

Errors go to stderr as `<source>:<line>:<Kind>: <message>`; any failed statement makes the exit
code 2, a connection failure 1 (like cqlsh). Options, cqlshrc and credentials are read the way
bin/cqlsh.py of each line reads them (3.11: cqlsh 5.0.1, 4.0: 6.0.0, 4.1: 6.1.0, 5.0: 6.2.0):

- host and port: positionals, else $CQLSH_HOST/$CQLSH_PORT, else the cqlshrc [connection]
  hostname/port, else 127.0.0.1 9042;
- credentials: -u/-p, else (4.1+) the credentials file's [plain_text_auth], else the cqlshrc
  [authentication] username/password; a username without a password is prompted for (here:
  `Password: ` on stderr, one line read from stdin);
- cqlshrc: --cqlshrc FILE, else ~/.cassandra/cqlshrc;
- `-f FILE` opens FILE as a path, so `-f -` is a file named `-`, not stdin (main(): codecs.open).
"""

import argparse
import os
import sys

from . import cql, cql_connect
from .cql_exec import Result, Session
from .layout import NodeHome
from .node_state import Node

CQLSH_VERSIONS = {"3.11": "5.0.1", "4.0": "6.0.0", "4.1": "6.1.0", "5.0": "6.2.0"}
USAGE = "Usage: cqlsh [options] [host [port]]"


class Exit(Exception):
    """sys.exit(message): the message on stderr, exit 1 (or the given code)."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.message = message
        self.code = code


# --- options ------------------------------------------------------------------------------------

def _parser(version) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cqlsh", usage=USAGE, add_help=True)
    version_flags = ("--version",) if version.major == "3.11" else ("-v", "--version")  # optparse had no -v
    parser.add_argument(*version_flags, action="version", version="cqlsh " + CQLSH_VERSIONS[version.major])
    parser.add_argument("-C", "--color", action="store_true")
    parser.add_argument("--no-color", action="store_true")
    parser.add_argument("--browser")
    parser.add_argument("--ssl", action="store_true")
    parser.add_argument("-u", "--username")
    parser.add_argument("-p", "--password")
    parser.add_argument("-k", "--keyspace")
    parser.add_argument("-f", "--file")
    parser.add_argument("--debug", action="store_true")
    parser.add_argument("--encoding")
    parser.add_argument("--cqlshrc")
    parser.add_argument("--cqlversion")
    parser.add_argument("--protocol-version")
    parser.add_argument("-e", "--execute")
    parser.add_argument("--connect-timeout")
    parser.add_argument("--request-timeout")
    parser.add_argument("-t", "--tty", action="store_true")
    if version.major == "3.11":
        parser.add_argument("--no_compact", action="store_true")
    if version.at_least("4.1"):
        parser.add_argument("--credentials")
        parser.add_argument("--insecure-password-without-warning", action="store_true")
    return parser


def usage_error(version, message: str) -> Exit:
    """parser.error(): optparse (3.11) and argparse (4.0+) print the usage differently."""
    if version.major == "3.11":
        return Exit(f"{USAGE}\n\ncqlsh: error: {message}", 2)
    return Exit(f"usage: {USAGE}\ncqlsh: error: {message}", 2)


def parse_args(argv, version):
    """(options, [host, port]). 4.0+ use parse_known_args, so whatever is not an option (an
    unknown one included) counts as host and port; 3.11's optparse refuses unknown options."""
    parser = _parser(version)
    options, rest = parser.parse_known_args(argv)
    if version.major == "3.11":
        unknown = [r for r in rest if r.startswith("-")]
        if unknown:
            raise usage_error(version, f"no such option: {unknown[0]}")
    return options, rest


# --- configuration ------------------------------------------------------------------------------

def _read_ini(path: str, raw: bool = False):
    """A ConfigParser of `path`, or None when there is no such file (configparser is only
    imported when there is something to parse: cqlsh is started for every statement batch)."""
    if not path or not os.path.isfile(path):
        return None
    import configparser
    config = configparser.RawConfigParser() if raw else configparser.ConfigParser()
    try:
        config.read(path)
    except configparser.Error:
        pass
    return config


def _option(config, section: str, name: str, default=None):
    if config is None:
        return default
    try:
        return config.get(section, name)
    except Exception:  # configparser.NoSectionError, NoOptionError, InterpolationError
        return default


def cqlshrc_path(options, version, out) -> str:
    """--cqlshrc, unless it does not exist: then a warning on stdout and the default."""
    history_dir = os.path.expanduser(os.path.join("~", ".cassandra"))
    default = os.path.join(history_dir, "cqlshrc")
    if options.cqlshrc is None:
        return default
    path = os.path.expanduser(options.cqlshrc) if version.at_least("4.1") else options.cqlshrc
    if not os.path.exists(path):
        shown = default if version.at_least("4.1") else history_dir  # 3.11 and 4.0 name the directory
        out.write(f"\nWarning: Specified cqlshrc location `{path}` does not exist.  Using `{shown}` instead.\n\n")
        return default
    return path


def is_file_secure(path: str) -> bool:
    """cqlshlib.util.is_file_secure: absent, or owned by us (root: anyone) and not readable by
    group or others."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return True
    uid = os.getuid()
    return (uid == 0 or st.st_uid == uid) and st.st_mode & 0o044 == 0


def credentials(options, config_path: str, version, err) -> tuple:
    """(username, password) as read_options() settles them, with the 4.1+ warnings."""
    config, raw = _read_ini(config_path), _read_ini(config_path, raw=True)
    rc_username = _option(config, "authentication", "username")
    rc_password = _option(raw, "authentication", "password")
    if not version.at_least("4.1"):  # the cqlshrc values are optparse defaults
        return options.username or rc_username, options.password if options.password is not None else rc_password
    if rc_username or rc_password:
        if rc_password and not is_file_secure(config_path):
            err.write("\nWarning: Password is found in an insecure cqlshrc file. The file is owned or readable "
                      "by other users on the system.")
        err.write("\nNotice: Credentials in the cqlshrc file is deprecated and will be ignored in the future."
                  "\nPlease use a credentials file to specify the username and password.\n\n")
    cred_path = os.path.expanduser(options.credentials or _option(
        config, "authentication", "credentials", os.path.join(os.path.dirname(config_path), "credentials")))
    if not is_file_secure(cred_path):
        err.write(f"\nWarning: Credentials file '{cred_path}' exists but is not used, because:"
                  "\n  a. the file owner is not the current user; or"
                  "\n  b. the file is readable by group or other."
                  "\nPlease ensure the file is owned by the current user and is not readable by group or other."
                  "\nOn a Linux or UNIX-like system, you often can do this by using the `chown` and `chmod` commands:"
                  "\n  chown YOUR_USERNAME credentials"
                  "\n  chmod 600 credentials\n\n")
        cred_path = ""
    username, password = options.username, options.password
    if not username:
        username = _option(_read_ini(cred_path), "plain_text_auth", "username", rc_username)
    if not password:
        password = _option(_read_ini(cred_path, raw=True), "plain_text_auth", "password", rc_password)
    elif not options.insecure_password_without_warning:
        err.write("\nWarning: Using a password on the command line interface can be insecure."
                  "\nRecommendation: use the credentials file to securely provide the password.\n\n")
    return username, password


def host_and_port(rest, config_path: str, version) -> tuple:
    config = _read_ini(config_path)
    host = os.environ.get("CQLSH_HOST", _option(config, "connection", "hostname", "127.0.0.1"))
    port = os.environ.get("CQLSH_PORT", _option(config, "connection", "port", cql_connect.NATIVE_PORT))
    if len(rest) > 0:
        host = rest[0]
    if len(rest) > 1:
        port = rest[1]
    if not str(port).isdigit():
        raise usage_error(version, f"{port!r} is not a valid port number.")
    return host, str(int(port))


def _prompt_password(err, stdin) -> str:
    """getpass.getpass() without a terminal: the prompt on stderr, a line from stdin."""
    err.write("Password: ")
    return stdin.readline().rstrip("\n")


# --- results ------------------------------------------------------------------------------------

def format_value(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, float):
        return repr(value) if value != int(value) else f"{value:.1f}"
    return str(value)


def format_result(result: Result) -> str:
    names = result.columns
    values = [[format_value(v) for v in row] for row in result.values]
    widths = [max([len(n)] + [len(r[i]) for r in values]) for i, n in enumerate(names)]
    lines = ["", " " + " | ".join(n.ljust(w) for n, w in zip(names, widths)).rstrip(),
             "-" + "-+-".join("-" * w for w in widths) + "-"]
    if not values:
        lines.append("")
    lines += [" " + " | ".join(v.rjust(w) for v, w in zip(row, widths)) for row in values]
    lines += ["", f"({len(values)} rows)"]
    return "\n".join(lines) + "\n"


def run_script(session: Session, text: str, source: str, out, err) -> bool:
    """Execute every statement; False when one failed (cqlsh goes on with the next)."""
    ok = True
    try:
        statements = cql.split_statements(text)
    except cql.CqlError as e:
        err.write(f"{source}:1:{e.kind}: {e.message}\n")
        return False
    for line, tokens in statements:
        try:
            result = session.execute(cql.parse(tokens))
            if isinstance(result, Result):
                out.write(format_result(result))
            elif isinstance(result, str):
                out.write(result + "\n")
        except cql.CqlError as e:
            err.write(f"{source}:{line}:{e.kind}: {e.message}\n")
            ok = False
    try:
        session.close()
    except cql.CqlError as e:
        err.write(f"{source}:1:{e.kind}: {e.message}\n")
        ok = False
    return ok


# --- main ---------------------------------------------------------------------------------------

def _script(options, stdin) -> tuple:
    """(text, source name) of what to run; -f is opened before connecting, as main() does."""
    if options.execute is not None:
        return options.execute, "<stdin>"
    if options.file is not None:
        try:
            with open(options.file) as f:
                return f.read(), options.file
        except OSError as e:
            raise Exit(f"Can't open {options.file!r}: {e}") from None
    return None, "<stdin>"


def _connect(home: NodeHome, local: Node, options, rest, config_path: str, out, err, stdin) -> Session:
    username, password = credentials(options, config_path, local.version, err)
    host, port = host_and_port(rest, config_path, local.version)
    client = cql_connect.Client(local.version)
    if username and not password:  # Shell.__init__ asks before connecting
        password = _prompt_password(err, stdin)
    coordinator, address = cql_connect.resolve(home, host, port)
    cql_connect.authenticate(client, coordinator, address, port, username or None, password)
    if local.version.at_least("4.0") and coordinator.version.release != local.version.release:
        out.write(f"WARNING: cqlsh was built against {local.version.release}, but this server is "
                  f"{coordinator.version.release}.  All features may not work!\n")
    keyspace = options.keyspace or _option(_read_ini(config_path), "authentication", "keyspace")
    return Session(home.lab, coordinator.name, keyspace, client)


def main(home_root: str, argv, out=None, err=None, stdin=None) -> int:
    out, err, stdin = out or sys.stdout, err or sys.stderr, stdin or sys.stdin
    home = NodeHome(home_root)
    local = Node(home)
    try:
        options, rest = parse_args(argv, local.version)
        config_path = cqlshrc_path(options, local.version, out)
        text, source = _script(options, stdin)
        session = _connect(home, local, options, rest, config_path, out, err, stdin)
    except Exit as e:
        err.write(e.message + "\n")
        return e.code
    except cql_connect.ConnectionFailed as e:
        err.write(f"{e}\n")
        return 1
    if text is None:
        text = stdin.read()
    return 0 if run_script(session, text, source, out, err) else 2
