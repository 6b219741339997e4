"""Shared pieces of the property-based fuzzing: mutation strategies over real samples.

Every fuzz test starts from bytes made by the real code (a bundle exported between two real
vaults, its decrypted tar payload, its manifest) and mutates them: hypothesis shrinks any
failure to the smallest mutation that shows it. Budgets are fixed and derandomized so the
suite gives the same verdict on every run.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from intake_app.errors import IntakeError


def budget(examples: int) -> Any:
    """Hypothesis settings: a fixed number of examples, no deadline, same examples every run."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                               HealthCheck.data_too_large],
    )  # fmt: skip


def _apply(data: bytes, edits: list[tuple[str, int, int, bytes]]) -> bytes:
    out = bytearray(data)
    for kind, where, amount, payload in edits:
        pos = where % (len(out) + 1)
        if kind == "flip" and out:
            pos %= len(out)
            out[pos] ^= 1 << (amount % 8)
        elif kind == "set" and out:
            pos %= len(out)
            out[pos] = amount % 256
        elif kind == "insert":
            out[pos:pos] = payload
        elif kind == "delete":
            del out[pos : pos + 1 + amount % 64]
        elif kind == "truncate":
            del out[pos:]
        elif kind == "duplicate":
            out[pos:pos] = out[pos : pos + 1 + amount % 4096]
        elif kind == "zero":
            out[pos : pos + 1 + amount % 512] = bytes(len(out[pos : pos + 1 + amount % 512]))
    return bytes(out)


EDIT = st.tuples(
    st.sampled_from(["flip", "set", "insert", "delete", "truncate", "duplicate", "zero"]),
    st.integers(min_value=0, max_value=2**32),
    st.integers(min_value=0, max_value=2**16),
    st.binary(max_size=64),
)


def mutations(sample: bytes, *, max_edits: int = 4) -> st.SearchStrategy[bytes]:
    """`sample` with 1..max_edits random edits (bit flips, overwrites, inserts, deletions,
    truncation, duplicated stretches, zeroed stretches)."""
    return st.lists(EDIT, min_size=1, max_size=max_edits).map(lambda e: _apply(sample, e))


def hostile_bytes(sample: bytes) -> st.SearchStrategy[bytes]:
    """Mostly mutations of a real sample, sometimes arbitrary bytes."""
    return st.one_of(mutations(sample), mutations(sample, max_edits=12), st.binary(max_size=4096))


def only_typed_errors(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, IntakeError | None]:
    """Call fn; an IntakeError is a refusal (returned), anything else fails the test."""
    try:
        return fn(*args, **kwargs), None
    except IntakeError as exc:
        assert str(exc).strip(), "a refusal must say why"
        assert "\n" not in str(exc).strip(), "a refusal is one line"
        return None, exc


JSON_LEAF = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False), st.text(max_size=40),
)  # fmt: skip
JSON = st.recursive(
    JSON_LEAF,
    lambda inner: st.one_of(st.lists(inner, max_size=5),
                            st.dictionaries(st.text(max_size=12), inner, max_size=5)),
    max_leaves=25,
)  # fmt: skip
