"""Bech32 (BIP 173), as age uses it for `age1…` recipients and `AGE-SECRET-KEY-1…` identities.

age uses the original bech32 checksum (not bech32m) and lifts BIP 173's 90-character limit.
"""

from __future__ import annotations

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
_MAX_LENGTH = 1000


class Bech32Error(ValueError):
    """The text is not valid bech32 (bad characters, mixed case or a wrong checksum)."""


def _polymod(values: list[int]) -> int:
    chk = 1
    for value in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ value
        for i, gen in enumerate(_GENERATOR):
            if (top >> i) & 1:
                chk ^= gen
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convert_bits(data: bytes | list[int], from_bits: int, to_bits: int, pad: bool) -> list[int]:
    acc = 0
    bits = 0
    out: list[int] = []
    maxv = (1 << to_bits) - 1
    for value in data:
        if value < 0 or value >> from_bits:
            raise Bech32Error("invalid data value")
        acc = (acc << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            out.append((acc >> bits) & maxv)
    if pad:
        if bits:
            out.append((acc << (to_bits - bits)) & maxv)
    elif bits >= from_bits or ((acc << (to_bits - bits)) & maxv):
        raise Bech32Error("invalid padding")
    return out


def encode(hrp: str, data: bytes) -> str:
    """Encode `data` under the lower-case human-readable part `hrp`."""
    if not hrp or hrp != hrp.lower() or any(ord(c) < 33 or ord(c) > 126 for c in hrp):
        raise Bech32Error("invalid human-readable part")
    values = _convert_bits(data, 8, 5, pad=True)
    polymod = _polymod(_hrp_expand(hrp) + values + [0] * 6) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(CHARSET[v] for v in values + checksum)


def decode(text: str) -> tuple[str, bytes]:
    """Return (hrp in lower case, data). Accepts all-lower or all-upper text, never mixed."""
    if len(text) > _MAX_LENGTH:
        raise Bech32Error("too long")
    if any(ord(c) < 33 or ord(c) > 126 for c in text):
        raise Bech32Error("invalid character")
    if text.lower() != text and text.upper() != text:
        raise Bech32Error("mixed case")
    text = text.lower()
    pos = text.rfind("1")
    if pos < 1 or pos + 7 > len(text):
        raise Bech32Error("missing separator or checksum")
    hrp = text[:pos]
    try:
        values = [CHARSET.index(c) for c in text[pos + 1 :]]
    except ValueError as exc:
        raise Bech32Error("invalid character") from exc
    if _polymod(_hrp_expand(hrp) + values) != 1:
        raise Bech32Error("wrong checksum")
    return hrp, bytes(_convert_bits(values[:-6], 5, 8, pad=False))
