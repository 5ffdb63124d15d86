"""JSON without the json module.

`import json` pulls in re and enum, ~15 ms on our CI machines: a quarter of a nodetool call's
budget. The C accelerator behind json (_json) parses and quotes strings on its own, so the
state files are read and written with it directly; the output is what json.dumps writes.
"""

try:
    import _json
except ImportError:  # an interpreter without CPython's accelerator: use the json module itself
    _json = None

_INFINITY = float("inf")


class _ScannerContext:
    """The attributes _json.make_scanner reads from a JSONDecoder."""
    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    memo = {}

    @staticmethod
    def parse_constant(name):
        return {"NaN": float("nan"), "Infinity": _INFINITY, "-Infinity": -_INFINITY}[name]


_scan = _json.make_scanner(_ScannerContext()) if _json else None
_WHITESPACE = " \t\n\r"


def loads(text):
    if isinstance(text, (bytes, bytearray)):
        text = text.decode("utf-8")
    if _json is None:
        import json
        return json.loads(text)
    start = 0
    while start < len(text) and text[start] in _WHITESPACE:
        start += 1
    try:
        value, end = _scan(text, start)
    except StopIteration:
        raise ValueError("Expecting value") from None
    while end < len(text) and text[end] in _WHITESPACE:
        end += 1
    if end != len(text):
        raise ValueError(f"Extra data at {end}")
    return value


def dumps(value, indent: int = None, compact: bool = False) -> str:
    """json.dumps(value) (", " and ": " separators), compact=True for (",", ":"), or
    json.dumps(value, indent=N)."""
    if _json is None:
        import json
        separators = (",", ":") if compact else ((",", ": ") if indent is not None else None)
        return json.dumps(value, indent=indent, separators=separators)
    item_separator, key_separator = ((",", ":") if compact else (", ", ": "))
    if indent is None:
        encoder = _C_ENCODERS.get(compact)
        if encoder is None:  # the C encoder json.dumps itself uses when there is no indent
            encoder = _C_ENCODERS[compact] = _json.make_encoder(
                None, _not_serializable, _json.encode_basestring_ascii, None, key_separator, item_separator,
                False, False, True)
        return "".join(encoder(value, 0))
    parts = []
    item_separator = ","
    _encode(value, parts, indent, 0, item_separator, key_separator)
    return "".join(parts)


_C_ENCODERS = {}


def _not_serializable(value):
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _encode(value, parts, indent, level, item_sep, key_sep) -> None:
    if isinstance(value, str):
        parts.append(_json.encode_basestring_ascii(value))
    elif value is None:
        parts.append("null")
    elif value is True:
        parts.append("true")
    elif value is False:
        parts.append("false")
    elif isinstance(value, int):
        parts.append(int.__repr__(value))
    elif isinstance(value, float):
        parts.append(float.__repr__(value))
    elif isinstance(value, dict):
        _encode_items([(str(k), v) for k, v in value.items()], "{", "}", parts, indent, level, item_sep, key_sep)
    elif isinstance(value, (list, tuple)):
        _encode_items([(None, v) for v in value], "[", "]", parts, indent, level, item_sep, key_sep)
    else:
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _encode_items(items, opening, closing, parts, indent, level, item_sep, key_sep) -> None:
    if not items:
        parts.append(opening + closing)
        return
    parts.append(opening)
    inner = "\n" + " " * (indent * (level + 1)) if indent is not None else ""
    for index, (key, item) in enumerate(items):
        if index:
            parts.append(item_sep)
        parts.append(inner)
        if key is not None:
            parts.append(_json.encode_basestring_ascii(key) + key_sep)
        _encode(item, parts, indent, level + 1, item_sep, key_sep)
    if indent is not None:
        parts.append("\n" + " " * (indent * level))
    parts.append(closing)
