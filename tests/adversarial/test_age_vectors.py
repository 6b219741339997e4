"""Every C2SP age test vector (testdata/age-cctv) through the project's own decryption path.

Only `success` vectors may yield data, and all data released (even before a failure) must
hash to the vector's `payload`. Features refused on purpose (armor, passphrase/scrypt,
post-quantum, unknown stanza types) are refused with a clear reason and before pyrage runs.
Deviations are explained in README-age-vectors.md beside this file.
"""

from __future__ import annotations

import hashlib
import io
import zlib
from dataclasses import dataclass
from pathlib import Path

import pyrage
import pytest
from pyrage import x25519

from intake_app.bundles import agefile
from intake_app.errors import BundleRefused

VECTORS = Path(__file__).resolve().parents[2] / ".." / "shared" / "testdata" / "age-cctv"
if not VECTORS.is_dir():
    VECTORS = Path("/work/shared/testdata/age-cctv")

# success vectors we refuse on purpose, and the reason each must give.
REFUSED_ON_PURPOSE = {
    "armor_crlf": "armored",
    "armor_full_last_line": "armored",
    "armor_hybrid": "armored",
    "armor_no_eol": "armored",
    "armor_scrypt": "armored",
    "armor_whitespace_outside": "armored",
    "armor_x25519": "armored",
    "hybrid": "post-quantum",
    "hybrid_and_x25519": "post-quantum",
    "hybrid_grease": "post-quantum",
    "hybrid_multiple_recipients": "post-quantum",
    "scrypt": "passphrase-protected",
    "stanza_empty_body": "recipient type",
    "stanza_empty_last_line": "recipient type",
    "stanza_valid_characters": "recipient type",
}


@dataclass
class Vector:
    name: str
    expect: str
    payload: str
    identities: list[str]
    armored: bool
    body: bytes


def _load(path: Path) -> Vector:
    raw = path.read_bytes()
    split = raw.index(b"\n\n")
    meta: dict[str, str] = {}
    identities: list[str] = []
    for line in raw[:split].decode().split("\n"):
        key, value = line.split(": ", 1)
        if key == "identity":
            identities.append(value)
        else:
            meta.setdefault(key, value)
    body = raw[split + 2 :]
    if meta.get("compressed") == "zlib":
        body = zlib.decompress(body)
    return Vector(
        path.name,
        meta["expect"],
        meta.get("payload", ""),
        identities,
        meta.get("armored") == "yes",
        body,
    )


def _all() -> list[Vector]:
    return [_load(p) for p in sorted(VECTORS.iterdir()) if p.name != "README.md"]


def test_all_143_vectors_are_present():
    assert len(_all()) == 143


def _run(vector: Vector) -> tuple[bytes, BundleRefused | None]:
    # Our path takes X25519 identities only; vectors with none (scrypt, hybrid) get a
    # fresh one, which must make no difference to the outcome.
    idents = [
        x25519.Identity.from_str(s) for s in vector.identities if s.startswith("AGE-SECRET-KEY-1")
    ] or [x25519.Identity.generate()]
    sink = io.BytesIO()
    try:
        agefile.decrypt(io.BytesIO(vector.body), idents, sink)
    except BundleRefused as exc:
        return sink.getvalue(), exc
    return sink.getvalue(), None


@pytest.mark.parametrize("vector", _all(), ids=lambda v: v.name)
def test_vector_through_our_decryption_path(vector):
    released, refusal = _run(vector)
    if released:
        # Whatever was released, even before a failure, is exactly the authentic plaintext.
        assert hashlib.sha256(released).hexdigest() == vector.payload
    if vector.expect != "success":
        assert refusal is not None, "a failing vector yielded a result"
        assert str(refusal).strip() and "\n" not in str(refusal)
        return
    if vector.name in REFUSED_ON_PURPOSE:
        assert refusal is not None
        assert REFUSED_ON_PURPOSE[vector.name] in str(refusal)
        assert released == b""
        return
    assert refusal is None, f"refused a valid file: {refusal}"


PRE_CHECK_REFUSALS = sorted(
    v.name for v in _all() if v.armored or b"\n-> scrypt " in v.body or b"\n-> mlkem" in v.body
)


@pytest.mark.parametrize("name", PRE_CHECK_REFUSALS)
def test_passphrase_armor_and_hybrid_never_reach_pyrage(name, monkeypatch):
    def forbidden(*args):
        raise AssertionError("pyrage was called for a file that must be refused first")

    monkeypatch.setattr(pyrage, "decrypt_io", forbidden)
    vector = _load(VECTORS / name)
    released, refusal = _run(vector)
    assert refusal is not None and released == b""
    if b"\n-> scrypt " in vector.body and not vector.armored:
        assert "passphrase-protected" in str(refusal)


def test_scrypt_work_factor_23_is_refused_cheaply():
    # Time-independent: the refusal names the passphrase rule, not a work-factor limit, so
    # no work factor was parsed, let alone computed.
    _, refusal = _run(_load(VECTORS / "scrypt_work_factor_23"))
    assert refusal is not None and "passphrase-protected" in str(refusal)
