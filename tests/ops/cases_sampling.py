"""The candidate samplers draw random classes: no NumPy reference value; their distributions
and expected counts are tested in tests/ops/test_candidate_sampling.py."""

CASES: list = []

EXEMPT = {
    "LogUniformCandidateSampler": "random: tests/ops/test_candidate_sampling.py",
    "UniformCandidateSampler": "random: tests/ops/test_candidate_sampling.py",
}
