"""Op-table entries for flowzero/summary/tensor_audio.py: serialized Summary protos, each
tested by reading the event file back in tests/test_summary_more.py."""

CASES: list = []

EXEMPT = {
    op: "serialized Summary protos; tests/test_summary_more.py"
    for op in ("TensorSummaryV2", "AudioSummaryV2")
}
