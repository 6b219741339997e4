"""Fixtures for the protocol engine tests: the sample v1/v2 pair."""

from __future__ import annotations

import pytest
from protocol_support import FIXTURES

from intake_app.protocol import Protocol, load_protocol


@pytest.fixture(scope="session")
def sample_v1() -> Protocol:
    return load_protocol("sample", 1, base=FIXTURES)


@pytest.fixture(scope="session")
def sample_v2() -> Protocol:
    return load_protocol("sample", 2, base=FIXTURES)
