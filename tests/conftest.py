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


@pytest.fixture(autouse=True)
def _caplog_sees_flowzero_records(request: pytest.FixtureRequest) -> Iterator[None]:
    """caplog listens on the root logger; once tf.logging is imported, the "flowzero" logger
    stops propagating there (TF1's own handler prints its records), so a test's caplog would
    see nothing, depending on which tests ran before. Let them propagate during such a test."""
    if "caplog" not in request.fixturenames:
        yield
        return
    import logging

    import flowzero.platform.tf_logging  # noqa: F401  (its import turns propagation off)

    log = logging.getLogger("flowzero")
    before = log.propagate
    log.propagate = True
    yield
    log.propagate = before
