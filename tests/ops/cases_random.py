"""Random ops have no op-table rows (their outputs are draws, not functions of the inputs);
tests/ops/test_random_ops.py covers seeds, determinism, shapes, dtypes and statistics."""

CASES: list = []

EXEMPT = {
    op: "tests/ops/test_random_ops.py"
    for op in (
        "RandomStandardNormal",
        "TruncatedNormal",
        "RandomUniform",
        "RandomUniformInt",
        "RandomShuffle",
        "Multinomial",
        "RandomGamma",
    )
}
