"""tf.debugging's asserts against TensorFlow (skipped where it is not installed): the same
build-time errors (type and message) and the same run-time assertion text."""

import numpy as np
import pytest

import flowzero

tf_real = pytest.importorskip("tensorflow")
tf1 = tf_real.compat.v1
tf1.disable_eager_execution()

# Each case: (lib) -> something built; compared by outcome (NoOp / Assert / error + message).
STATIC = [
    lambda t: t.assert_equal([1, 2], [1, 3], message="hi"),
    lambda t: t.assert_less([1.0, 2.0], [1.0, 3.0], name="foo"),
    lambda t: t.assert_greater_equal([[1, 2]], [3], summarize=1),
    lambda t: t.assert_none_equal([1, 2], [3, 2], message="ne"),
    lambda t: t.assert_positive([-1, 0, 1], message="mm"),
    lambda t: t.assert_negative([1.0]),
    lambda t: t.assert_non_negative([-1, 0, 1]),
    lambda t: t.assert_non_positive([-1, 0, 1], message="mm"),
    lambda t: t.assert_rank(t.placeholder(t.float32, [None]), 2, message="m"),
    lambda t: t.assert_rank_at_least(t.placeholder(t.float32, [2, None]), 3),
    lambda t: t.assert_rank_in(t.placeholder(t.float32, [None]), [0, 2], message="r"),
    lambda t: t.assert_rank(t.placeholder(t.float32, [None]), 1),
    lambda t: t.assert_integer(t.placeholder(t.float32, [None]), message="ii"),
    lambda t: t.assert_integer(t.constant([1])),
    lambda t: t.assert_type(t.placeholder(t.float32), t.float32),
    lambda t: t.assert_scalar(t.placeholder(t.float32, [None]), message="ss"),
    lambda t: t.assert_scalar(t.placeholder(t.float32)),
    lambda t: t.assert_same_float_dtype([t.constant(1)]),
    lambda t: t.assert_same_float_dtype([t.placeholder(t.float32), t.constant(1.0, t.float64)]),
    lambda t: t.assert_proper_iterable("abc"),
    lambda t: t.debugging.assert_shapes([(t.placeholder(t.float32, [2, None]), (3, "D"))]),
    lambda t: t.debugging.assert_shapes([(t.placeholder(t.float32, [2, 3]), ("N",))]),
]


def _outcome(lib, build):
    with lib.Graph().as_default():
        try:
            out = build(lib)
        except Exception as e:  # noqa: BLE001 - the type is what is compared
            base = "InvalidArgumentError" if "InvalidArgument" in type(e).__name__ else None
            kind = base or ("TypeError" if isinstance(e, TypeError) else type(e).__name__)
            return kind, str(e)
        return "built", getattr(out, "type", None)


@pytest.mark.parametrize("i", range(len(STATIC)))
def test_build_time_outcome_matches_tf(i):
    want = _outcome(tf1, STATIC[i])
    got = _outcome(flowzero, STATIC[i])
    if want[0] == "built":
        assert got[0] == "built"
        # TF guards float data with a cond; the op we return is the Assert itself.
        assert got[1] == want[1] or (got[1] == "Assert" and want[1] in ("Identity", "Assert"))
    else:
        # TF 2's TensorShape prints None where TF 1.15 (and flowzero) print "?".
        assert got == (want[0], want[1].replace("None", "?"))


RUNTIME = [
    (lambda t, p: t.assert_less(p, 2.0, message="msg"), [1.0, 3.0]),
    (lambda t, p: t.assert_equal(p, [1.0, 2.0, 3.0], summarize=2), [1.0, 2.0, 4.0]),
    (lambda t, p: t.assert_rank(p, 2), [1.0]),
    (lambda t, p: t.assert_positive(p, data=["d", p], summarize=-1), [1.0, 0.0, 2.0, 3.0]),
]


def _run_outcome(lib, build, value):
    with lib.Graph().as_default():
        p = lib.placeholder(lib.float32, None, name="p")
        op = build(lib, p)
        with lib.Session() as s:
            try:
                s.run(op, {p: np.array(value, np.float32)})
            except Exception as e:  # noqa: BLE001
                text = str(getattr(e, "message", e))
                return text[text.index("assertion failed") :].split("\n")[0]
    return None


@pytest.mark.parametrize("i", range(len(RUNTIME)))
def test_run_time_message_matches_tf(i):
    build, value = RUNTIME[i]
    want = _run_outcome(tf1, build, value)
    assert want is not None
    assert _run_outcome(flowzero, build, value) == want


def test_check_numerics_message_matches_tf():
    outs = []
    for lib in (tf1, flowzero):
        with lib.Graph().as_default():
            p = lib.placeholder(lib.float32, [None])
            c = lib.check_numerics(p, "boom")
            with lib.Session() as s:
                for v in ([np.nan], [np.inf], [np.nan, -np.inf]):
                    try:
                        s.run(c, {p: v})
                    except Exception as e:  # noqa: BLE001
                        text = str(getattr(e, "message", e))
                        outs.append(text[text.index("boom") :].split("\n")[0])
    assert outs[:3] == outs[3:]
