"""Op-table rows for einsum (flowzero/ops/einsum_ops.py)."""

import numpy as np

import flowzero as tf
from flowzero.testing.op_cases import OpCase, rand


def _row(eq, *shapes, name, second=False, unknown=True):
    arrays = [rand(*s, seed=i + 3) for i, s in enumerate(shapes)]
    return OpCase(
        "Einsum",
        lambda *xs: tf.einsum(eq, *xs),
        lambda *xs: np.einsum(eq, *xs).astype(np.float32),
        arrays,
        name=name,
        rtol=1e-5,
        atol=1e-6,
        second_order=second,
        unknown_shapes=unknown,
    )


CASES = [
    _row("ij,jk->ik", (2, 3), (3, 4), name="matmul", second=True),
    _row("bij,bjk->bik", (2, 2, 3), (2, 3, 2), name="batch_matmul"),
    _row("ij->ji", (2, 3), name="transpose"),
    _row("ii", (3, 3), name="trace", unknown=False),
    _row("ii->i", (3, 3), name="diag", second=True, unknown=False),
    _row("ij->", (2, 3), name="sum"),
    _row("ij,k->ijk", (2, 2), (3,), name="outer"),
    _row("i,i", (4,), (4,), name="dot_implicit"),
    _row("ab,bc,cd->ad", (2, 3), (3, 2), (2, 2), name="chain", second=True),
    _row("...ij,...jk->...ik", (2, 2, 3), (3, 2), name="ellipsis_broadcast", unknown=False),
    _row("ijk->k", (2, 3, 2), name="reduce_two"),
    _row("ij,j->j", (2, 3), (3,), name="summed_only_in_first"),
]
