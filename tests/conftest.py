"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import flowzero as tf


@pytest.fixture(autouse=True)
def fresh_graph() -> Iterator[None]:
    """Every test starts (and leaves) with an empty default graph."""
    tf.reset_default_graph()
    yield
    tf.reset_default_graph()
