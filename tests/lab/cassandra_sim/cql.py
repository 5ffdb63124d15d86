"""A small CQL parser: the statements the lab needs, in real CQL syntax.

Supported: USE; CREATE/DROP KEYSPACE; CREATE/DROP/TRUNCATE TABLE (CREATE TABLE accepts the
schema.cql a snapshot carries, WITH ID = ... included); ALTER TABLE ... ADD; INSERT; UPDATE;
DELETE; SELECT (*, columns or count(*), equality WHERE, IN, LIMIT, ALLOW FILTERING);
BEGIN [UNLOGGED] BATCH ... APPLY BATCH; and the cqlsh command CONSISTENCY.
Parsing turns text into plain dicts; cql_exec.py runs them.
"""

import re


class Uuid(str):
    """A uuid literal (distinct from a string that looks like one)."""


class Blob(str):
    """A blob literal, kept as its 0x... text."""


class CqlError(Exception):
    """A failure reported the way cqlsh prints it: <kind>: <message>."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message


def syntax_error(message: str) -> CqlError:
    return CqlError("SyntaxException", message)


_TOKEN = re.compile(r"""
    (?P<space>\s+|--[^\n]*|//[^\n]*|/\*.*?\*/)
  | (?P<str>'(?:[^']|'')*')
  | (?P<qid>"(?:[^"]|"")*")
  | (?P<uuid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})
  | (?P<blob>0[xX][0-9a-fA-F]*)
  | (?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<id>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<sym><=|>=|!=|[(),;=*{}\[\]:.<>?+-])
""", re.VERBOSE | re.DOTALL)


def tokenize(text: str) -> list:
    """[(kind, text, line)]; raises a SyntaxException on characters CQL does not have."""
    tokens, pos, line = [], 0, 1
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            raise syntax_error(f"line {line}:{pos} no viable alternative at character '{text[pos]}'")
        kind = match.lastgroup
        if kind != "space":
            tokens.append((kind, match.group(), line))
        line += match.group().count("\n")
        pos = match.end()
    return tokens


def split_statements(text: str) -> list:
    """[(first line, [tokens])] split on top-level semicolons; a batch stays whole."""
    statements, current, in_batch = [], [], False
    for token in tokenize(text):
        upper = token[1].upper()
        if token[0] == "id" and upper == "BATCH" and current and current[0][1].upper() == "BEGIN":
            in_batch = True
        if token == ("sym", ";", token[2]) and not in_batch:
            if current:
                statements.append((current[0][2], current))
            current = []
            continue
        if in_batch and token[0] == "id" and upper == "BATCH" and len(current) > 1 and current[-1][1].upper() == "APPLY":
            in_batch = False
        current.append(token)
    if current:
        statements.append((current[0][2], current))
    return statements


class Parser:
    def __init__(self, tokens):
        self.tokens = tokens
        self.pos = 0

    # --- token access -------------------------------------------------------------------------
    def peek(self, offset: int = 0):
        index = self.pos + offset
        return self.tokens[index] if index < len(self.tokens) else ("eof", "", 0)

    def next(self):
        token = self.peek()
        if token[0] == "eof":
            raise syntax_error("line 1:0 mismatched input '<EOF>'")
        self.pos += 1
        return token

    def at_keyword(self, *words) -> bool:
        return all(self.peek(i)[0] == "id" and self.peek(i)[1].upper() == w for i, w in enumerate(words))

    def accept_keyword(self, *words) -> bool:
        if self.at_keyword(*words):
            self.pos += len(words)
            return True
        return False

    def expect_keyword(self, *words) -> None:
        if not self.accept_keyword(*words):
            got = self.peek()[1] or "<EOF>"
            raise syntax_error(f"line {self.peek()[2]}:0 mismatched input '{got}' expecting {' '.join(words)}")

    def accept_symbol(self, symbol: str) -> bool:
        if self.peek()[0] == "sym" and self.peek()[1] == symbol:
            self.pos += 1
            return True
        return False

    def expect_symbol(self, symbol: str) -> None:
        if not self.accept_symbol(symbol):
            got = self.peek()[1] or "<EOF>"
            raise syntax_error(f"line {self.peek()[2]}:0 mismatched input '{got}' expecting '{symbol}'")

    def done(self) -> bool:
        return self.pos >= len(self.tokens)

    # --- names and literals -------------------------------------------------------------------
    def identifier(self) -> str:
        kind, text, line = self.next()
        if kind == "id":
            return text.lower()
        if kind == "qid":
            return text[1:-1].replace('""', '"')
        raise syntax_error(f"line {line}:0 no viable alternative at input '{text}'")

    def qualified_name(self):
        """(keyspace or None, name)."""
        first = self.identifier()
        if self.accept_symbol("."):
            return first, self.identifier()
        return None, first

    def literal(self):
        kind, text, line = self.next()
        if kind == "str":
            return text[1:-1].replace("''", "'")
        if kind == "num":
            return float(text) if any(c in text for c in ".eE") else int(text)
        if kind == "uuid":
            return Uuid(text.lower())
        if kind == "blob":
            return Blob("0x" + text[2:].lower())
        if kind == "id" and text.lower() in ("true", "false"):
            return text.lower() == "true"
        if kind == "id" and text.lower() == "null":
            return None
        if kind == "sym" and text == "{":
            return self._map_or_set_rest()
        if kind == "sym" and text == "[":
            return self._list_rest("]")
        if kind == "sym" and text == "-" and self.peek()[0] == "num":
            value = self.literal()
            return -value
        raise syntax_error(f"line {line}:0 no viable alternative at input '{text}'")

    def _map_or_set_rest(self):
        if self.accept_symbol("}"):
            return {}
        first = self.literal()
        if self.accept_symbol(":"):
            result = {first: self.literal()}
            while self.accept_symbol(","):
                key = self.literal()
                self.expect_symbol(":")
                result[key] = self.literal()
            self.expect_symbol("}")
            return result
        items = [first]
        while self.accept_symbol(","):
            items.append(self.literal())
        self.expect_symbol("}")
        return items

    def _list_rest(self, closing: str):
        items = []
        if self.accept_symbol(closing):
            return items
        items.append(self.literal())
        while self.accept_symbol(","):
            items.append(self.literal())
        self.expect_symbol(closing)
        return items

    def option_value(self):
        """A WITH option value: a literal or a bare word (e.g. a class name)."""
        if self.peek()[0] == "id" and self.peek()[1].lower() not in ("true", "false", "null"):
            return self.next()[1]
        return self.literal()


# --- statements ---------------------------------------------------------------------------------

def parse(tokens) -> dict:
    p = Parser(tokens)
    if p.accept_keyword("USE"):
        statement = {"kind": "use", "keyspace": p.identifier()}
    elif p.accept_keyword("CONSISTENCY"):
        statement = {"kind": "consistency", "level": p.identifier().upper() if not p.done() else None}
    elif p.accept_keyword("CREATE", "KEYSPACE"):
        statement = _create_keyspace(p)
    elif p.accept_keyword("CREATE", "TABLE") or p.accept_keyword("CREATE", "COLUMNFAMILY"):
        statement = _create_table(p)
    elif p.accept_keyword("DROP", "KEYSPACE"):
        if_exists = p.accept_keyword("IF", "EXISTS")
        statement = {"kind": "drop_keyspace", "keyspace": p.identifier(), "if_exists": if_exists}
    elif p.accept_keyword("DROP", "TABLE") or p.accept_keyword("DROP", "COLUMNFAMILY"):
        if_exists = p.accept_keyword("IF", "EXISTS")
        statement = {"kind": "drop_table", "name": p.qualified_name(), "if_exists": if_exists}
    elif p.accept_keyword("TRUNCATE"):
        p.accept_keyword("TABLE") or p.accept_keyword("COLUMNFAMILY")
        statement = {"kind": "truncate", "name": p.qualified_name()}
    elif p.accept_keyword("ALTER", "TABLE"):
        statement = _alter_table(p)
    elif p.accept_keyword("INSERT", "INTO"):
        statement = _insert(p)
    elif p.accept_keyword("UPDATE"):
        statement = _update(p)
    elif p.accept_keyword("DELETE"):
        statement = _delete(p)
    elif p.accept_keyword("SELECT"):
        statement = _select(p)
    elif p.accept_keyword("BEGIN"):
        statement = _batch(p)
    else:
        got = p.peek()[1] or "<EOF>"
        raise syntax_error(f"line 1:0 no viable alternative at input '{got}'")
    if not p.done():
        raise syntax_error(f"line {p.peek()[2]}:0 mismatched input '{p.peek()[1]}' expecting <EOF>")
    return statement


def _create_keyspace(p: Parser) -> dict:
    if_not_exists = p.accept_keyword("IF", "NOT", "EXISTS")
    name = p.identifier()
    p.expect_keyword("WITH")
    options = _with_options(p)
    if "replication" not in options:
        raise CqlError("SyntaxException", "Missing mandatory option 'replication'")
    return {"kind": "create_keyspace", "keyspace": name, "if_not_exists": if_not_exists,
            "replication": options["replication"], "durable_writes": options.get("durable_writes", True)}


def _with_options(p: Parser) -> dict:
    options = {}
    while True:
        if p.accept_keyword("CLUSTERING", "ORDER", "BY"):
            p.expect_symbol("(")
            order = []
            while True:
                column = p.identifier()
                direction = "DESC" if p.accept_keyword("DESC") else "ASC"
                p.accept_keyword("ASC")
                order.append([column, direction])
                if not p.accept_symbol(","):
                    break
            p.expect_symbol(")")
            options["clustering order"] = order
        elif p.accept_keyword("COMPACT", "STORAGE"):
            options["compact storage"] = True
        else:
            key = p.identifier()
            p.expect_symbol("=")
            options[key] = p.option_value() if key != "id" else p.next()[1].lower()
        if not p.accept_keyword("AND"):
            return options


def _create_table(p: Parser) -> dict:
    if_not_exists = p.accept_keyword("IF", "NOT", "EXISTS")
    keyspace, name = p.qualified_name()
    p.expect_symbol("(")
    columns, partition_key, clustering = [], [], []
    while True:
        if p.accept_keyword("PRIMARY", "KEY"):
            partition_key, clustering = _primary_key(p)
        else:
            column = p.identifier()
            cql_type = _type(p)
            p.accept_keyword("STATIC")
            columns.append([column, cql_type])
            if p.accept_keyword("PRIMARY", "KEY"):
                partition_key = [column]
        if not p.accept_symbol(","):
            break
        if p.peek() == ("sym", ")", p.peek()[2]):
            break
    p.expect_symbol(")")
    options = _with_options(p) if p.accept_keyword("WITH") else {}
    return {"kind": "create_table", "name": (keyspace, name), "if_not_exists": if_not_exists,
            "columns": columns, "partition_key": partition_key, "clustering": clustering, "options": options}


def _type(p: Parser) -> str:
    name = p.identifier()
    if p.accept_symbol("<"):  # collections/frozen: kept as text, never used as keys here
        depth, parts = 1, [name, "<"]
        while depth:
            token = p.next()[1]
            depth += {"<": 1, ">": -1}.get(token, 0)
            parts.append(token)
        return "".join(parts)
    return name


def _primary_key(p: Parser):
    p.expect_symbol("(")
    if p.accept_symbol("("):
        partition_key = [p.identifier()]
        while p.accept_symbol(","):
            partition_key.append(p.identifier())
        p.expect_symbol(")")
    else:
        partition_key = [p.identifier()]
    clustering = []
    while p.accept_symbol(","):
        clustering.append(p.identifier())
    p.expect_symbol(")")
    return partition_key, clustering


def _alter_table(p: Parser) -> dict:
    name = p.qualified_name()
    if p.accept_keyword("ADD"):
        columns = []
        while True:
            columns.append([p.identifier(), _type(p)])
            if not p.accept_symbol(","):
                break
        return {"kind": "alter_add", "name": name, "columns": columns}
    if p.accept_keyword("WITH"):
        return {"kind": "alter_with", "name": name, "options": _with_options(p)}
    raise syntax_error("line 1:0 only ALTER TABLE ... ADD and ... WITH are supported by the lab's cqlsh")


def _using(p: Parser) -> dict:
    using = {}
    if p.accept_keyword("USING"):
        while True:
            if p.accept_keyword("TIMESTAMP"):
                using["timestamp"] = int(p.literal())
            elif p.accept_keyword("TTL"):
                using["ttl"] = int(p.literal())
            else:
                raise syntax_error("line 1:0 expecting TIMESTAMP or TTL")
            if not p.accept_keyword("AND"):
                break
    return using


def _insert(p: Parser) -> dict:
    name = p.qualified_name()
    p.expect_symbol("(")
    columns = [p.identifier()]
    while p.accept_symbol(","):
        columns.append(p.identifier())
    p.expect_symbol(")")
    p.expect_keyword("VALUES")
    p.expect_symbol("(")
    values = [p.literal()]
    while p.accept_symbol(","):
        values.append(p.literal())
    p.expect_symbol(")")
    p.accept_keyword("IF", "NOT", "EXISTS")
    using = _using(p)
    if len(columns) != len(values):
        raise CqlError("InvalidRequest", "Unmatched column names/values")
    return {"kind": "insert", "name": name, "values": dict(zip(columns, values)), "using": using}


def _where(p: Parser) -> list:
    """[(column, '=' | 'IN', value or [values])] joined by AND."""
    conditions = []
    while True:
        column = p.identifier()
        if p.accept_keyword("IN"):
            p.expect_symbol("(")
            conditions.append((column, "IN", p._list_rest(")")))
        else:
            p.expect_symbol("=")
            conditions.append((column, "=", p.literal()))
        if not p.accept_keyword("AND"):
            return conditions


def _update(p: Parser) -> dict:
    name = p.qualified_name()
    using = _using(p)
    p.expect_keyword("SET")
    assignments = {}
    while True:
        column = p.identifier()
        p.expect_symbol("=")
        assignments[column] = p.literal()
        if not p.accept_symbol(","):
            break
    p.expect_keyword("WHERE")
    where = _where(p)
    p.accept_keyword("IF", "EXISTS")
    return {"kind": "update", "name": name, "set": assignments, "where": where, "using": using}


def _delete(p: Parser) -> dict:
    columns = []
    if not p.at_keyword("FROM"):
        columns.append(p.identifier())
        while p.accept_symbol(","):
            columns.append(p.identifier())
    p.expect_keyword("FROM")
    name = p.qualified_name()
    using = _using(p)
    p.expect_keyword("WHERE")
    where = _where(p)
    p.accept_keyword("IF", "EXISTS")
    return {"kind": "delete", "name": name, "columns": columns, "where": where, "using": using}


def _select(p: Parser) -> dict:
    if p.accept_symbol("*"):
        columns = "*"
    elif p.at_keyword("COUNT") and p.peek(1)[1] == "(":
        p.next()
        p.expect_symbol("(")
        if not p.accept_symbol("*"):
            p.identifier()
        p.expect_symbol(")")
        columns = "count"
    else:
        columns = [p.identifier()]
        while p.accept_symbol(","):
            columns.append(p.identifier())
    p.expect_keyword("FROM")
    name = p.qualified_name()
    where = _where(p) if p.accept_keyword("WHERE") else []
    limit = None
    if p.accept_keyword("LIMIT"):
        limit = int(p.literal())
    p.accept_keyword("ALLOW", "FILTERING")
    return {"kind": "select", "name": name, "columns": columns, "where": where, "limit": limit}


def _batch(p: Parser) -> dict:
    p.accept_keyword("UNLOGGED") or p.accept_keyword("LOGGED")
    p.expect_keyword("BATCH")
    using = _using(p)
    statements = []
    while not p.at_keyword("APPLY", "BATCH"):
        start = p.pos
        while not p.done() and p.peek() != ("sym", ";", p.peek()[2]) and not p.at_keyword("APPLY", "BATCH"):
            p.pos += 1
        inner = parse(p.tokens[start:p.pos])
        if inner["kind"] not in ("insert", "update", "delete"):
            raise CqlError("InvalidRequest", "Only INSERT, UPDATE and DELETE statements are allowed in a batch")
        if using.get("timestamp") is not None:
            inner["using"].setdefault("timestamp", using["timestamp"])
        statements.append(inner)
        p.accept_symbol(";")
        if p.done():
            raise syntax_error("line 1:0 missing APPLY BATCH")
    p.expect_keyword("APPLY", "BATCH")
    return {"kind": "batch", "statements": statements}
