"""Fixtures shared by the top-level tests."""

import pytest

from torchpad import metrics


@pytest.fixture
def events():
    """Every event torchpad.log / show / autolog emits during the test, in order (a fresh metrics state)."""
    got = []
    metrics.reset()
    metrics.set_sink(got.append)
    yield got
    metrics.set_sink(None)
    metrics.reset()
