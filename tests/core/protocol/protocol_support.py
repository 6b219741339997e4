"""Shared helpers of the protocol engine tests (imported by name: conftest modules collide)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from intake_app.protocol import Protocol, load_protocol_bytes

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "protocols"


def protocol_from(body: str, *, header: bool = True) -> Protocol:
    """A protocol from a YAML snippet; `header` adds format/id/version/title."""
    text = textwrap.dedent(body)
    if header:
        text = "format: 1\nid: t\nversion: 1\ntitle: {en: T}\n" + text
    return load_protocol_bytes(text.encode("utf-8"))
