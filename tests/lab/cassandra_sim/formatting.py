"""Java-compatible text formatting used by nodetool output (cassandra-behaviour.md §5.1, §8).

Everything here is exact integer arithmetic so that the rounding matches Java's DecimalFormat
(HALF_EVEN on the exact binary value of the double) without importing decimal or fractions.
"""

import struct
import time

_UNITS = (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10))


def _round_half_even(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded to the nearest integer, ties to even (both >= 0)."""
    quotient, remainder = divmod(numerator, denominator)
    twice = 2 * remainder
    if twice > denominator or (twice == denominator and quotient % 2 == 1):
        quotient += 1
    return quotient


def _decimal_text(numerator: int, denominator: int, max_fraction: int, min_fraction: int) -> str:
    """Like DecimalFormat with up to max_fraction and at least min_fraction digits."""
    scale = 10 ** max_fraction
    scaled = _round_half_even(numerator * scale, denominator)
    whole, fraction = divmod(scaled, scale)
    digits = str(fraction).rjust(max_fraction, "0") if max_fraction else ""
    while len(digits) > min_fraction and digits.endswith("0"):
        digits = digits[:-1]
    return f"{whole}.{digits}" if digits else str(whole)


def stringify_file_size(size) -> str:
    """FileUtils.stringifyFileSize: DecimalFormat("#.##") plus a binary unit
    (cassandra-behaviour.md §5.1)."""
    numerator, denominator = float(size).as_integer_ratio()
    for unit, divisor in _UNITS:
        if size >= divisor:
            return f"{_decimal_text(numerator, denominator * divisor, 2, 0)} {unit}"
    return f"{_decimal_text(numerator, denominator, 2, 0)} bytes"


def as_java_float(value: float) -> float:
    """The value a Java Float holds (ownership maps are Map<String, Float>)."""
    return struct.unpack("f", struct.pack("f", value))[0]


def percent(value: float, fraction_digits: int) -> str:
    """DecimalFormat("##0.0%") (status) or ("##0.00%") (ring) of a Float."""
    numerator, denominator = as_java_float(value).as_integer_ratio()
    return _decimal_text(numerator * 100, denominator, fraction_digits, fraction_digits) + "%"


def java_list(items) -> str:
    """AbstractCollection.toString: [a, b, c]."""
    return "[" + ", ".join(str(item) for item in items) + "]"


def table_lines(rows, delimiter=" ", widths=None) -> list:
    """nodetool's TableBuilder.printTo: every column, the last one too, is left-justified to
    its widest cell, so lines end in spaces (cassandra-behaviour.md §5.1). None prints as ""."""
    widths = widths or column_widths(rows)
    lines = []
    for row in rows:
        cells = []
        for index, width in enumerate(widths):
            cell = row[index] if index < len(row) and row[index] is not None else ""
            cells.append(cell.ljust(width))
        lines.append(delimiter.join(cells))
    return lines


def column_widths(rows) -> list:
    """TableBuilder.add's width bookkeeping (a null cell counts as 1 wide)."""
    widths = []
    for row in rows:
        if len(row) > len(widths):
            widths += [0] * (len(row) - len(widths))
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], len(cell) if cell is not None else 1)
    return widths


def shared_widths(tables) -> list:
    """TableBuilder.SharedTable.complete: one width per column across all tables (status)."""
    widths = []
    for table in tables:
        for index, width in enumerate(column_widths(table)):
            if index == len(widths):
                widths.append(0)
            widths[index] = max(widths[index], width)
    return widths


def iso_instant(millis: int) -> str:
    """Instant.toString / Jackson ISO_INSTANT of a millisecond instant: the fraction is left
    out when it is zero (cassandra-behaviour.md §11.2)."""
    seconds, ms = divmod(millis, 1000)
    t = time.gmtime(seconds)
    text = "%04d-%02d-%02dT%02d:%02d:%02d" % (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)
    return text + (".%03d" % ms if ms else "") + "Z"


def parse_iso_instant(text: str):
    """Instant.parse for the forms operators type (2022-12-03T10:15:30Z, with an optional
    fraction); returns epoch millis or None."""
    if len(text) < 20 or not text.endswith("Z") or text[4] != "-" or text[7] != "-" or text[10] != "T" \
            or text[13] != ":" or text[16] != ":":
        return None
    fields = (text[0:4], text[5:7], text[8:10], text[11:13], text[14:16], text[17:19])
    fraction = text[19:-1]
    if not all(f.isdigit() for f in fields) or (fraction and (fraction[0] != "." or not fraction[1:].isdigit()
                                                             or len(fraction) > 10)):
        return None
    year, month, day, hour, minute, second = (int(f) for f in fields)
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60 and second < 60):
        return None
    millis = int(fraction[1:].ljust(3, "0")[:3]) if fraction else 0
    seconds = _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second
    return seconds * 1000 + millis


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (calendar.timegm without the
    import)."""
    year -= month <= 2
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def jackson_pretty(value, indent: int = 0) -> str:
    """Jackson's DefaultPrettyPrinter: objects one field a line with " : ", arrays inline as
    [ a, b ], empty ones as { } and [ ] (cassandra-behaviour.md §11.2, 5.0 manifest;
    datapaths -F json)."""
    from .jsonlite import dumps
    if isinstance(value, dict):
        if not value:
            return "{ }"
        pad = "  " * (indent + 1)
        fields = [pad + dumps(str(k)) + " : " + jackson_pretty(v, indent + 1) for k, v in value.items()]
        return "{\n" + ",\n".join(fields) + "\n" + "  " * indent + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[ ]"
        return "[ " + ", ".join(jackson_pretty(v, indent) for v in value) + " ]"
    return dumps(value)
