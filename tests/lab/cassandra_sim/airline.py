"""Command-line parsing the way airline 0.6/0.8 does it for nodetool (cassandra-behaviour.md §2.1).

The quirks that matter to callers:
- global options are only recognised before the command name; after it they are positional
  arguments (or "Found unexpected parameters" for commands without arguments);
- options and arguments may interleave after the command; `--` makes the rest arguments;
- `--opt=value` works for any option taking a value, `-tTAG` and bundled `-abc` for
  one-letter options;
- an unknown command falls back to the default command (help), whose validation then reports
  "Found unexpected parameters: [...]";
- a repeated option or a single-valued argument keeps the last value.
"""



class ParseError(Exception):
    """Every airline parse failure; nodetool reports them through badUse (stdout, exit 1)."""


class Option:
    def __init__(self, names, title: str, arity: int = 1):
        self.names = tuple(names)
        self.title = title
        self.arity = arity


class Command:
    def __init__(self, name: str, handler=None, options=(), arguments: str = None, multi_args: bool = True,
                 required_args: bool = False):
        self.name = name
        self.handler = handler
        self.options = list(options)
        self.arguments = arguments  # title of the @Arguments field, None when there is none
        self.multi_args = multi_args
        self.required_args = required_args


class Parsed:
    def __init__(self):
        self.globals = {}
        self.command = None
        self.options = {}
        self.args = []
        self.unparsed = []
        self.pending_option = None  # an option still waiting for its value (Context.OPTION)


def _find(options, token: str):
    for option in options:
        if token in option.names:
            return option
    return None


def _set(parsed: Parsed, store: dict, option: Option, value) -> None:
    store[option.title] = value
    parsed.pending_option = None


def _parse_options(tokens: list, parsed: Parsed, options, store: dict) -> None:
    while tokens:
        token = tokens[0]
        option = _find(options, token)
        if option is not None:  # simple: -t tag, --tag tag, -sf
            tokens.pop(0)
            if option.arity == 0:
                _set(parsed, store, option, True)
            else:
                parsed.pending_option = option
                if tokens:
                    _set(parsed, store, option, tokens.pop(0))
            continue
        name, equals, value = token.partition("=")
        option = _find(options, name) if equals else None
        if option is not None and option.arity == 1:  # GNU long form: --tag=value
            tokens.pop(0)
            _set(parsed, store, option, value)
            continue
        if len(token) > 1 and token[0] == "-" and token[1] != "-" and _classic_getopt(tokens, parsed, options, store):
            continue
        return


def _classic_getopt(tokens: list, parsed: Parsed, options, store: dict) -> bool:
    """-abc bundles and -tVALUE; False (nothing consumed) when a letter is no option."""
    rest = tokens[0][1:]
    staged = []
    while rest:
        option = _find(options, "-" + rest[0])
        if option is None:
            return False
        rest = rest[1:]
        if option.arity == 0:
            staged.append((option, True))
            continue
        tokens.pop(0)
        for done, value in staged:
            _set(parsed, store, done, value)
        if rest:
            _set(parsed, store, option, rest)
        elif tokens:
            _set(parsed, store, option, tokens.pop(0))
        else:
            parsed.pending_option = option
        return True
    tokens.pop(0)
    for done, value in staged:
        _set(parsed, store, done, value)
    return True


def _parse_arg(parsed: Parsed, token: str) -> None:
    if parsed.command.arguments is None:
        parsed.unparsed.append(token)
    else:
        parsed.args.append(token)


def parse(global_options, commands: dict, default_command: str, argv) -> Parsed:
    tokens = list(argv)
    parsed = Parsed()
    _parse_options(tokens, parsed, global_options, parsed.globals)
    if tokens:
        command = commands.get(tokens[0])
        if command is None:
            parsed.unparsed = tokens
            tokens = []
        else:
            tokens.pop(0)
            parsed.command = command
            parsed.pending_option = None
            while tokens:
                _parse_options(tokens, parsed, command.options, parsed.options)
                if not tokens:
                    break
                if tokens[0] == "--":
                    tokens.pop(0)
                    while tokens:
                        _parse_arg(parsed, tokens.pop(0))
                else:
                    _parse_arg(parsed, tokens.pop(0))
    if parsed.command is None:
        parsed.command = commands[default_command]
    _validate(parsed)
    if not parsed.command.multi_args and parsed.args:
        parsed.args = [parsed.args[-1]]
    return parsed


def _validate(parsed: Parsed) -> None:
    """Cli.validate, in its order."""
    command = parsed.command
    if command.required_args and not parsed.args:
        raise ParseError(f"Required parameters are missing: {command.arguments}")
    if parsed.unparsed:
        raise ParseError("Found unexpected parameters: [" + ", ".join(parsed.unparsed) + "]")
    if parsed.pending_option is not None:
        raise ParseError(f"Required values for option '{parsed.pending_option.title}' not provided")
