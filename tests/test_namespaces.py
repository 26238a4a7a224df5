"""TF 1.15's sub-namespaces (tf.math, tf.linalg, ...) and tf.compat.v1, as code migrated to
`tensorflow.compat.v1` uses them."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

import flowzero as tf
from flowzero.compat import _namespace_only
from flowzero.compat._tf1_names import NAMESPACES


@pytest.mark.parametrize("ns", ["math", "linalg", "random", "dtypes", "initializers", "debugging"])
def test_every_bound_name_is_the_root_function_itself(ns):
    mod = getattr(tf, ns)
    bound = [n for n in vars(mod) if not n.startswith("__")]
    assert bound, ns
    for name in bound:
        target = NAMESPACES[ns][name]
        if target is None:  # a name TF has only in this namespace: flowzero's function for it
            assert getattr(mod, name) is _namespace_only(ns, name) is not None, name
            continue
        obj = tf
        for part in target.split("."):
            obj = getattr(obj, part)
        assert getattr(mod, name) is obj, f"tf.{ns}.{name} is not tf.{target}"


def test_common_names_are_there():
    assert tf.math.reduce_sum is tf.reduce_sum
    assert tf.math.log1p is tf.log1p
    assert tf.math.sigmoid is tf.nn.sigmoid
    assert tf.linalg.matmul is tf.matmul
    assert tf.random.normal is tf.random_normal
    assert tf.initializers.glorot_uniform is tf.glorot_uniform_initializer
    assert tf.dtypes.float32 is tf.float32


def test_a_name_with_other_semantics_is_not_bound_to_the_root_one():
    # tf.linalg.transpose swaps the last two axes (TF binds it to matrix_transpose, not to
    # tf.transpose); tf.random.split is TF 2's stateless seed split, not tf.split.
    assert tf.linalg.transpose is tf.matrix_transpose
    assert tf.random.split is not tf.split
    assert tf.random.split([1, 2], 3).shape.as_list() == [3, 2]  # new seeds, not pieces


def test_a_missing_name_says_flowzero_lacks_it():
    with pytest.raises(
        AttributeError,
        match=r"does not implement tf\.math\.sobol_sample "
        r"\(TF 1\.15 has it\)",
    ):
        tf.math.sobol_sample  # noqa: B018


def test_compat_v1_is_flowzero():
    assert tf.compat.v1.placeholder is tf.placeholder
    assert tf.compat.v1.nn.relu is tf.nn.relu
    assert tf.compat.v1.math.reduce_mean is tf.reduce_mean
    assert not tf.executing_eagerly()


def test_a_compat_v1_program_runs_with_a_one_word_change(tmp_path):
    program = textwrap.dedent("""
        import numpy as np
        import flowzero.compat.v1 as tf
        tf.disable_v2_behavior()
        tf.disable_eager_execution()
        x = tf.placeholder(tf.float32, [None, 3])
        w = tf.get_variable("w", [3, 1], initializer=tf.initializers.ones())
        y = tf.math.reduce_sum(tf.linalg.matmul(x, w))
        i, acc = tf.while_loop(lambda i, a: i < 3, lambda i, a: (i + 1, a + y),
                               [tf.constant(0), tf.constant(0.0)])
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            print(sess.run(acc, {x: np.ones((2, 3), np.float32)}))
    """)
    path = tmp_path / "prog.py"
    path.write_text(program)
    out = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, check=False, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert float(out.stdout.strip()) == pytest.approx(18.0)
