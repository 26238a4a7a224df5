"""Op-table entries for Python inside the graph (flowzero/ops/script_ops.py)."""

EXEMPT = {
    "PyFunc": "runs a user's Python function; no gradient of its own; tests/test_script_ops.py",
}
CASES: list = []
