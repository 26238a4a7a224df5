"""Op-table entries for the optimizers' in-place update ops (flowzero/train/).

They mutate variable storage, so they are not pure functions of their inputs: each one is
tested step by step against a NumPy reference of its update rule in
tests/train/test_optimizers.py.
"""

CASES: list = []

_WHERE = "in-place variable update; tests/train/test_optimizers.py"

EXEMPT = {
    op: _WHERE
    for op in (
        "ApplyGradientDescent",
        "ApplyMomentum",
        "ApplyAdagrad",
        "ApplyRMSProp",
        "ApplyCenteredRMSProp",
        "ApplyAdam",
        "ApplyAdadelta",
        "BookApplyMomentum",
        "BookApplyNesterov",
        "BookApplyAdaGrad",
        "BookApplyRMSprop",
        "BookApplyAdam",
    )
}
EXEMPT.update(
    dict.fromkeys(
        (
            "ApplyFtrl",
            "ApplyFtrlV2",
            "ApplyProximalGradientDescent",
            "ApplyProximalAdagrad",
            "ApplyAdagradDA",
        ),
        "in-place variable update; tests/train/test_optimizers_more.py",
    )
)
EXEMPT.update(
    dict.fromkeys(
        (
            "SparseApplyMomentum",
            "SparseApplyAdagrad",
            "SparseApplyRMSProp",
            "SparseApplyCenteredRMSProp",
            "SparseApplyAdadelta",
            "SparseApplyFtrl",
            "SparseApplyFtrlV2",
            "SparseApplyProximalAdagrad",
            "SparseApplyProximalGradientDescent",
            "SparseApplyAdagradDA",
        ),
        "in-place update of some rows; tests/train/test_sparse_apply.py",
    )
)
