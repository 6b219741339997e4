"""Fixtures for the protocol engine tests: the sample v1/v2 pair and a YAML builder."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from intake_app.protocol import Protocol, load_protocol, load_protocol_bytes

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "protocols"


def protocol_from(body: str, *, header: bool = True) -> Protocol:
    """A protocol from a YAML snippet; `header` adds format/id/version/title."""
    text = textwrap.dedent(body)
    if header:
        text = "format: 1\nid: t\nversion: 1\ntitle: {en: T}\n" + text
    return load_protocol_bytes(text.encode("utf-8"))


@pytest.fixture(scope="session")
def sample_v1() -> Protocol:
    return load_protocol("sample", 1, base=FIXTURES)


@pytest.fixture(scope="session")
def sample_v2() -> Protocol:
    return load_protocol("sample", 2, base=FIXTURES)
