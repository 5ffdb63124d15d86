"""Murmur3Partitioner tokens: Cassandra's MurmurHash.hash3_x64_128, first half.

Cassandra's port reads the tail bytes as *signed* Java bytes, so it differs from reference
Murmur3 for keys whose tail has bytes >= 0x80; we reproduce that so tokens match a real
cluster (token(1) of an int key is -4069959284402364209).
"""

_MASK = (1 << 64) - 1
_C1 = 0x87C37B91114253D5
_C2 = 0x4CF5AD432745937F
MIN_TOKEN = -(1 << 63)
MAX_TOKEN = (1 << 63) - 1


def _rotl(value: int, bits: int) -> int:
    return ((value << bits) | (value >> (64 - bits))) & _MASK


def _fmix(k: int) -> int:
    k ^= k >> 33
    k = (k * 0xFF51AFD7ED558CCD) & _MASK
    k ^= k >> 33
    k = (k * 0xC4CEB9FE1A85EC53) & _MASK
    return k ^ (k >> 33)


def _signed_byte(b: int) -> int:
    return b - 256 if b > 127 else b


def _mix_k1(k1: int) -> int:
    return (_rotl((k1 * _C1) & _MASK, 31) * _C2) & _MASK


def _mix_k2(k2: int) -> int:
    return (_rotl((k2 * _C2) & _MASK, 33) * _C1) & _MASK


def token(key: bytes) -> int:
    """The Murmur3Partitioner token (a signed 64-bit int) of a serialized partition key."""
    length = len(key)
    h1 = h2 = 0
    blocks = length // 16
    for i in range(blocks):
        base = i * 16
        h1 ^= _mix_k1(int.from_bytes(key[base:base + 8], "little"))
        h1 = (_rotl(h1, 27) + h2) & _MASK
        h1 = (h1 * 5 + 0x52DCE729) & _MASK
        h2 ^= _mix_k2(int.from_bytes(key[base + 8:base + 16], "little"))
        h2 = (_rotl(h2, 31) + h1) & _MASK
        h2 = (h2 * 5 + 0x38495AB5) & _MASK

    tail = key[blocks * 16:]
    k1 = k2 = 0
    for i in range(len(tail) - 1, 7, -1):
        k2 ^= (_signed_byte(tail[i]) << ((i - 8) * 8)) & _MASK
    if len(tail) > 8:
        h2 ^= _mix_k2(k2)
    for i in range(min(len(tail), 8) - 1, -1, -1):
        k1 ^= (_signed_byte(tail[i]) << (i * 8)) & _MASK
    if tail:
        h1 ^= _mix_k1(k1)

    h1 ^= length
    h2 ^= length
    h1 = (h1 + h2) & _MASK
    h2 = (h2 + h1) & _MASK
    h1 = _fmix(h1)
    h2 = _fmix(h2)
    h1 = (h1 + h2) & _MASK
    signed = h1 - (1 << 64) if h1 >> 63 else h1
    return MAX_TOKEN if signed == MIN_TOKEN else signed  # Murmur3Partitioner.normalize
