"""Sweep test settings: the ``fault`` marker of the fault-injection tests."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Register ``fault``: kills Dask workers and the sweep at random moments (docs/sweep.md)."""
    config.addinivalue_line(
        "markers",
        "fault: fault injection into sweeps (SITEOPT_FAULT_SEEDS=N runs N seeds; default 3)",
    )
