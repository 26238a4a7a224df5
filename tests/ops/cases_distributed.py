"""Op-table entries for the MPI collectives (flowzero/distributed/ops.py).

Their value depends on the other ranks of an MPI job, so they are not pure functions of their
inputs: tests/distributed/ checks them with one rank (identity, gradients by central
differences) and under `mpirun -np 2` against NumPy references.
"""

import flowzero.distributed  # noqa: F401 - registers the Mpi* op types

CASES: list = []

EXEMPT = {
    "MpiAllreduce": "tests/distributed/test_mpi.py (odd sizes, dtypes, sum/average, gradient)",
    "MpiGroupedAllreduce": "tests/distributed/test_mpi.py, test_single_process.py (fusion)",
    "MpiAllgather": "tests/distributed/test_mpi.py (different dim 0 per rank, gradient)",
    "MpiBroadcast": "tests/distributed/test_mpi.py",
    "MpiBroadcastVariables": "tests/distributed/test_mpi.py (differently seeded ranks)",
}
