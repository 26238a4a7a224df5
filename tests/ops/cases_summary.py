"""Op-table entries for the summary ops (flowzero/summary/summary_ops.py).

Their outputs are serialized Summary protobufs, not arrays, so each one is tested by parsing
its output (and by TensorBoard's EventAccumulator reading it back) in tests/test_summary.py.
"""

CASES: list = []

EXEMPT = {
    op: "serialized Summary protos; tests/test_summary.py"
    for op in ("ScalarSummary", "HistogramSummary", "ImageSummary", "MergeSummary")
}
