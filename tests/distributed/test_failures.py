"""A rank that dies, hangs or raises mid-training ends the whole job with an error, not a hang.

Each run is bounded by the subprocess timeout in launcher.run (a hang fails the test).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from . import mpi_worker
from .launcher import requires_mpi, run_worker

pytestmark = [requires_mpi, pytest.mark.slow]  # mpirun jobs

BOUND = 60  # seconds: far above what the job needs to end (measured: 2-7 s)


@pytest.mark.parametrize("how", ["kill", "exit"])
def test_a_rank_that_dies_ends_the_job(tmp_path: Path, how: str) -> None:
    res = run_worker(2, f"fail-{how}", tmp_path, timeout=BOUND)
    assert f"rank 1: failing ({how})" in res.output, res.output
    assert res.returncode != 0, res.output


def test_an_uncaught_exception_on_one_rank_aborts_the_job(tmp_path: Path) -> None:
    res = run_worker(2, "fail-raise", tmp_path, timeout=BOUND)
    assert res.returncode != 0, res.output
    assert "RuntimeError: deliberate failure on rank 1" in res.output, res.output
    assert "rank 1 of 2: uncaught RuntimeError; aborting the MPI job" in res.output, res.output


def test_a_hung_rank_trips_the_watchdog_of_the_others(tmp_path: Path) -> None:
    res = run_worker(2, "fail-hang", tmp_path, timeout=BOUND, FLOWZERO_MPI_TIMEOUT="3")
    assert res.returncode != 0, res.output
    assert (
        "rank 0 of 2: MpiGroupedAllreduce 'DistributedGradientDescent/allreduce' did not "
        "complete within 3 s" in res.output
    ), res.output
    assert res.seconds < BOUND


def test_checkpoint_and_restart_recovers_the_uninterrupted_run(tmp_path: Path) -> None:
    """docs/distributed.md's recovery path: a rank dies after step 7 (checkpoint at step 5);
    the relaunched job restores step 5 on rank 0, broadcasts it and finishes; the result is
    the uninterrupted run's (here: one process with the combined batch)."""
    first = run_worker(2, "resume", tmp_path, timeout=BOUND, FAIL_AT="7")
    assert first.returncode != 0 and "rank 1: dying after step 7" in first.output, first.output
    assert (tmp_path / "ckpt" / "checkpoint").exists()
    second = run_worker(2, "resume", tmp_path, timeout=BOUND)
    assert second.returncode == 0, second.output
    got = [dict(np.load(tmp_path / f"resume-rank{r}.npz")) for r in range(2)]
    assert int(got[0]["start"]) == 5 and int(got[0]["step"]) == 12
    ref = mpi_worker.resumable(str(tmp_path / "ref-ckpt"), 2 * mpi_worker.BATCH)
    for r in range(2):
        np.testing.assert_allclose(got[r]["w"], ref["w"], rtol=0, atol=1e-6)
        np.testing.assert_allclose(got[r]["b"], ref["b"], rtol=0, atol=1e-6)
