"""Options of the adversarial tests: --crash-points N (or env INTAKE_CRASH_POINTS)."""

from __future__ import annotations

import pytest
from crash_harness import crash_points as _crash_points


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--crash-points", type=int, default=None,
                     help="SIGKILL points per crash-harness test (default 200, or env "
                          "INTAKE_CRASH_POINTS)")  # fmt: skip


@pytest.fixture
def crash_points(request: pytest.FixtureRequest) -> int:
    return _crash_points(request.config)
