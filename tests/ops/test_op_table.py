"""Runs every row of the op table (tests/ops/cases_*.py) four ways; fails if an op has no row."""

from __future__ import annotations

import importlib
import pkgutil

import numpy as np
import pytest

import flowzero  # noqa: F401 - registers ops
import tests.ops as _pkg
from flowzero.framework.registry import registered_ops
from flowzero.testing.op_cases import OpCase, check_forward, check_gradient, check_second_order

# Op types whose behaviour is tested elsewhere (not as a pure function of inputs).
EXEMPT = {
    "Placeholder": "fed values; tests/runtime/test_session.py",
    "PlaceholderWithDefault": "tests/runtime/test_session.py",
    "VariableV2": "session state; tests/test_variables.py",
    "ReadVariableOp": "tests/test_variables.py",
    "Assign": "tests/test_variables.py",
    "AssignAdd": "tests/test_variables.py",
    "AssignSub": "tests/test_variables.py",
    "IsVariableInitialized": "tests/test_variables.py",
    "ReportUninitializedVariables": "tests/test_variables.py",
    "NoOp": "tests/runtime/test_session.py",
}


def _load_cases() -> list[OpCase]:
    # Each tests/ops/cases_<family>.py has CASES (rows) and may have EXEMPT ({op: where tested}).
    cases: list[OpCase] = []
    for m in pkgutil.iter_modules(_pkg.__path__):
        if m.name.startswith("cases_"):
            mod = importlib.import_module(f"tests.ops.{m.name}")
            cases.extend(mod.CASES)
            EXEMPT.update(getattr(mod, "EXEMPT", {}))
    return cases


CASES = _load_cases()
GRAD_CASES = [c for c in CASES if c.grad]
SECOND = [c for c in CASES if c.second_order]


def _ids(cases: list[OpCase]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for c in cases:
        n = seen.get(c.id, 0)
        seen[c.id] = n + 1
        out.append(c.id if n == 0 else f"{c.id}#{n}")
    return out


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_forward_matches_reference(case: OpCase) -> None:
    check_forward(case)


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.unknown_shapes], ids=_ids([c for c in CASES if c.unknown_shapes])
)
def test_forward_with_unknown_shapes(case: OpCase) -> None:
    check_forward(case, unknown=True)


@pytest.mark.parametrize("case", GRAD_CASES, ids=_ids(GRAD_CASES))
def test_gradient_matches_central_differences(case: OpCase) -> None:
    check_gradient(case)


@pytest.mark.parametrize("case", SECOND, ids=_ids(SECOND))
def test_second_order_gradient(case: OpCase) -> None:
    check_second_order(case)


def _product_ops() -> dict:
    # Test modules may register throwaway op types named TestOnly*; they are not the catalogue.
    return {k: v for k, v in registered_ops().items() if not k.startswith("TestOnly")}


def test_every_registered_op_has_a_row() -> None:
    covered = {c.op for c in CASES}
    missing = sorted(set(_product_ops()) - covered - set(EXEMPT))
    assert not missing, f"registered ops without an op-table row: {missing}"


def test_every_differentiable_op_has_a_gradient_row() -> None:
    graded = {c.op for c in GRAD_CASES}
    ops = _product_ops()
    missing = sorted(
        n
        for n, cls in ops.items()
        if cls.differentiable
        and n not in graded
        and n not in EXEMPT
        and not getattr(cls, "integer_only", False)
    )
    assert not missing, f"differentiable ops without a gradient row: {missing}"


def test_rows_name_registered_ops() -> None:
    unknown = sorted({c.op for c in CASES} - set(registered_ops()))
    assert not unknown, f"op-table rows for unregistered op types: {unknown}"
    assert np.isfinite(len(CASES))
