"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator

import pytest

if os.environ.get("FLOWZERO_TEST_HIDE_NUMBA", "").strip().lower() not in ("", "0", "false", "no"):
    # The suite as without the `fast` extra (.ci/run runs a part of it so): `import numba`
    # raises ImportError, so every compiled kernel falls back to NumPy.
    sys.modules["numba"] = None  # type: ignore[assignment]

import flowzero as tf  # noqa: E402


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
