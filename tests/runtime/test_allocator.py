"""The one-time malloc tuning: big step buffers come back from the heap without page faults."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

_PROBE = r"""
import resource, sys
import numpy as np
import flowzero as tf
from flowzero.runtime import allocator
x = tf.placeholder(tf.float32, [None, 24, 24, 30])
y = tf.nn.max_pool(tf.nn.relu(x * 2.0), [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
sess = tf.Session()
feed = {x: np.random.default_rng(0).standard_normal((100, 24, 24, 30), dtype=np.float32)}
for _ in range(3):
    sess.run(y, feed)
f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    sess.run(y, feed)
faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0) / 20
print(allocator.configure(), faults)
"""


def _probe(**env: str) -> tuple[str, float]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in (
            "FLOWZERO_MALLOC",
            "MALLOC_MMAP_THRESHOLD_",
            "MALLOC_TRIM_THRESHOLD_",
            "GLIBC_TUNABLES",
            "LD_PRELOAD",
        )
    }
    out = subprocess.run(
        [sys.executable, "-c", _PROBE],
        env={**clean, **env},
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout.split()
    return out[0], float(out[1])


glibc = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not os.confstr("CS_GNU_LIBC_VERSION"),
    reason="glibc only",
)


@glibc
def test_a_session_reuses_big_buffers_without_page_faults():
    state, faults = _probe()
    assert state == "tuned"
    # 6.9 MB activations x 2 per step: untuned that is ~3,400 fresh 4 KiB pages a step
    assert faults < 100, faults


@glibc
def test_opt_out_and_preset_environments_are_left_alone():
    state, faults = _probe(FLOWZERO_MALLOC="system")
    assert state == "system"
    assert faults > 200, faults  # the cost the tuning removes, seen with it off
    assert _probe(MALLOC_TRIM_THRESHOLD_="1000000")[0] == "preset"


def test_configure_is_idempotent():
    from flowzero.runtime import allocator

    first = allocator.configure()
    assert allocator.configure() == first
    assert first in ("tuned", "system", "preset", "unsupported")
