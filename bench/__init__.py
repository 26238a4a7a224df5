"""Side-by-side benchmarks of flowzero against TF1, PyTorch, JAX and hand-written NumPy.

    python -m bench run [--workloads W1,W2] [--peers flowzero,tf1,torch,jax,numpy]
                        [--python-peers /opt/bench-peers/bin/python] [--rounds 3] [--out r.json]

The orchestrator (`bench.cli`) runs every workload x peer in a fresh subprocess
(`bench.worker`), interleaved round after round, and prints a table of medians, min-max and
ratios. Nothing here is imported by flowzero, and nothing here imports tests/ (tests/test_layout.py
checks it); the suite imports a few helpers (the smoke tests, bench.deployment's loopback
gunicorn + nginx harness).
This package must stay importable with NumPy alone: peer workers run it under another
interpreter, where flowzero may not be installed.
"""
