"""CRC-32C (Castagnoli) and TFRecord masking: the readable twin of ``src/lookup_crc32c.cpp``.

CRC-32C: reflected polynomial 0x82F63B78, initial value and final xor 0xFFFFFFFF (RFC 3720 B.4); check value
``crc32c(b"123456789") == 0xE3069283``. TFRecord stores ``masked(crc) = (rotr15(crc) + 0xA282EAD8) mod 2**32``.
"""
from __future__ import annotations


def _table() -> list[int]:
    out = []
    for b in range(256):
        c = b
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        out.append(c)
    return out


_T = _table()


def py_crc32c(data, crc: int = 0) -> int:
    """CRC-32C of a bytes-like object, continuing from ``crc`` (byte-at-a-time; slow, the specification).

    >>> hex(py_crc32c(b"123456789"))
    '0xe3069283'
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("crc32c: expected a bytes-like object")
    c = ~int(crc) & 0xFFFFFFFF
    for b in bytes(data):
        c = (c >> 8) ^ _T[(c ^ b) & 0xFF]
    return ~c & 0xFFFFFFFF


def mask(crc: int) -> int:
    """TFRecord's masked CRC."""
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF
