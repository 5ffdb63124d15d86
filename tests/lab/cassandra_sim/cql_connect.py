"""What happens between cqlsh and the node it connects to: finding the coordinator, the native
protocol's authentication, and how the Python driver bundled with each cqlsh words the failures.

Each release's cqlsh runs on its own stack, which shows in the error texts (quoted from the
driver sources):
- 3.11: cqlsh 5.0.1 on Python 2.7 with driver 3.11. Errors are keyed by host address
  ('127.0.0.1'), exceptions print as `Name('message',)`, a refused connection is a socket
  `error(111, ...)`, and dicts print in Python 2's hash order.
- 4.0/4.1/5.0: cqlsh 6.x on Python 3 with driver 3.25/3.29. Errors are keyed by endpoint
  ('127.0.0.1:9042'), exceptions print as `Name('message')`.

Authentication follows the coordinator's conf/cassandra.yaml: with `authenticator:
PasswordAuthenticator` (or the 5.0 `class_name:` form) a login is required and checked
against the lab file conf/cql_users (`<user> <password>` per line; a fresh cluster's
cassandra/cassandra when the file is missing). The lab keeps the roles per node: a real
cluster keeps them in system_auth.
"""

from .layout import NodeHome
from .node_state import Node
from .ring import Ring

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
NATIVE_PORT = "9042"
DEFAULT_USERS = {"cassandra": "cassandra"}


class ConnectionFailed(Exception):
    """cqlsh prints the message on stderr and exits 1."""


class Client:
    """The cqlsh/Python/driver stack of one Cassandra line."""

    def __init__(self, version):
        self.python2 = version.major == "3.11"

    def exception(self, name: str, *args) -> str:
        """repr() of an exception: Python 2 shows a 1-tuple's trailing comma."""
        inner = ", ".join(repr(a) for a in args)
        return f"{name}({inner},)" if self.python2 and len(args) == 1 else f"{name}({inner})"

    def endpoint(self, address: str, port: str) -> str:
        """How the driver names a host: its address (3.11) or its endpoint (address:port)."""
        return address if self.python2 else f"{address}:{port}"

    def no_host_available(self, address: str, port: str, error: str) -> str:
        return f"Connection error: ('Unable to connect to any servers', {{{self.endpoint(address, port)!r}: {error}}})"

    def refused(self, address: str, port: str) -> str:
        detail = f"Tried connecting to [('{address}', {port})]. Last error: Connection refused"
        name = "error" if self.python2 else "ConnectionRefusedError"
        return self.no_host_available(address, port, f"{name}(111, {detail!r})")

    def authentication_required(self, address: str, port: str) -> str:
        message = "Remote end requires authentication" + ("." if self.python2 else "")
        return self.no_host_available(address, port, self.exception("AuthenticationFailed", message))

    def bad_credentials(self, address: str, port: str, server_message: str) -> str:
        message = (f"Failed to authenticate to {self.endpoint(address, port)}: Error from server: code=0100 "
                   f'[Bad credentials] message="{server_message}"')
        return self.no_host_available(address, port, self.exception("AuthenticationFailed", message))

    def info_dict(self, consistency: str, required: int, alive: int) -> str:
        """The info={...} of Unavailable, in the order each Python prints that dict literal."""
        items = [("consistency", consistency), ("required_replicas", required), ("alive_replicas", alive)]
        if self.python2:  # hash order of these three keys in an 8-slot Python 2.7 dict
            items = [items[1], items[2], items[0]]
        return "{" + ", ".join(f"{k!r}: {v!r}" for k, v in items) + "}"


def resolve(home: NodeHome, host, port: str):
    """(coordinator Node, address as the driver reports it). Any lab node can be reached, by
    its address or, for this node, as localhost; ConnectionFailed when it does not serve."""
    local = Node(home)
    client = Client(local.version)
    address = "127.0.0.1" if host in (None, "localhost") else host
    if host in (None, *LOCAL_HOSTS) or host == local.address:
        target = local
    else:
        entry = Ring.load(home.lab).node_by_address(host)
        target = Node(home.lab.node_home(entry["name"])) if entry else None
    if target is None or not target.serving or str(port) != NATIVE_PORT:
        raise ConnectionFailed(client.refused(address, port))
    return target, address


def requires_login(node: Node) -> bool:
    """authenticator: PasswordAuthenticator, short or fully qualified, flat or 5.0's class_name."""
    configured = node.settings.get("authenticator") or node.settings.get("authenticator_class_name") or ""
    return str(configured).rsplit(".", 1)[-1] == "PasswordAuthenticator"


def users(node: Node) -> dict:
    try:
        with open(node.home.cql_users) as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return dict(DEFAULT_USERS)
    accounts = {}
    for line in lines:
        parts = line.split()
        if len(parts) >= 2 and not parts[0].startswith("#"):
            accounts[parts[0]] = parts[1]
    return accounts


def authenticate(client: Client, node: Node, address: str, port: str, username, password) -> None:
    """The SASL PLAIN exchange of PasswordAuthenticator; ConnectionFailed on refusal. Without
    PasswordAuthenticator any credentials are ignored, as the server never asks for them."""
    if not requires_login(node):
        return
    if not username:  # no auth provider: the driver cannot answer the server's challenge
        raise ConnectionFailed(client.authentication_required(address, port))
    if not password:
        raise ConnectionFailed(client.bad_credentials(address, port, "Password must not be null"))
    if users(node).get(username) != password:
        raise ConnectionFailed(client.bad_credentials(
            address, port, f"Provided username {username} and/or password are incorrect"))
