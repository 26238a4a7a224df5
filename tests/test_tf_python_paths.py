"""tensorflow.python.* import paths (flowzero/python/): each module imports, its names are
flowzero's public objects, a missing name says so, and `import flowzero` does not load them."""

import importlib
import subprocess
import sys

import numpy as np
import pytest

import flowzero as tf
from flowzero.python._tf_names import NAMES

# module -> (name in it, flowzero's public object it must be)
SAME = {
    "framework.ops": [
        ("Graph", tf.Graph),
        ("Tensor", tf.Tensor),
        ("convert_to_tensor", tf.convert_to_tensor),
        ("get_default_graph", tf.get_default_graph),
        ("name_scope", tf.name_scope),
        ("GraphKeys", tf.GraphKeys),
        ("add_to_collection", tf.add_to_collection),
        ("RegisterGradient", tf.RegisterGradient),
        ("control_dependencies", tf.control_dependencies),
    ],
    "framework.dtypes": [("float32", tf.float32), ("as_dtype", tf.as_dtype)],
    "framework.tensor_shape": [("TensorShape", tf.TensorShape), ("Dimension", tf.Dimension)],
    "framework.tensor_util": [
        ("make_tensor_proto", tf.make_tensor_proto),
        ("MakeNdarray", tf.make_ndarray),
        ("constant_value", tf.get_static_value),
    ],
    "framework.constant_op": [("constant", tf.constant)],
    "framework.errors": [("InvalidArgumentError", tf.errors.InvalidArgumentError)],
    "framework.errors_impl": [("NotFoundError", tf.errors.NotFoundError)],
    "framework.sparse_tensor": [("SparseTensor", tf.SparseTensor)],
    "framework.random_seed": [("set_random_seed", tf.set_random_seed)],
    "framework.graph_util": [("convert_variables_to_constants", None)],
    "ops.math_ops": [
        ("matmul", tf.matmul),
        ("reduce_mean", tf.reduce_mean),
        ("floor", tf.floor),
        ("cast", tf.cast),
    ],
    "ops.array_ops": [
        ("placeholder", tf.placeholder),
        ("shape", tf.shape),
        ("identity", tf.identity),
        ("stack", tf.stack),
    ],
    "ops.nn_ops": [("relu", tf.nn.relu), ("conv2d", tf.nn.conv2d)],
    "ops.nn": [("softmax", tf.nn.softmax), ("dropout", tf.nn.dropout)],
    "ops.init_ops": [("constant_initializer", tf.constant_initializer)],
    "ops.variable_scope": [
        ("variable_scope", tf.variable_scope),
        ("get_variable", tf.get_variable),
    ],
    "ops.variables": [("Variable", tf.Variable)],
    "ops.control_flow_ops": [("cond", tf.cond), ("while_loop", tf.while_loop), ("group", tf.group)],
    "ops.random_ops": [("random_uniform", tf.random_uniform)],
    "ops.state_ops": [("assign", tf.assign)],
    "ops.rnn": [("dynamic_rnn", tf.nn.dynamic_rnn)],
    "ops.rnn_cell": [("BasicLSTMCell", tf.nn.rnn_cell.BasicLSTMCell)],
    "ops.rnn_cell_impl": [("LSTMStateTuple", tf.nn.rnn_cell.LSTMStateTuple)],
    "ops.clip_ops": [("clip_by_global_norm", tf.clip_by_global_norm)],
    "ops.check_ops": [("assert_equal", tf.assert_equal)],
    "ops.logging_ops": [("Print", tf.Print)],
    "ops.string_ops": [("string_join", tf.string_join)],
    "ops.sparse_ops": [("sparse_tensor_to_dense", tf.sparse_tensor_to_dense)],
    "ops.embedding_ops": [("embedding_lookup", tf.nn.embedding_lookup)],
    "ops.data_flow_ops": [("FIFOQueue", tf.FIFOQueue)],
    "ops.tensor_array_ops": [("TensorArray", tf.TensorArray)],
    "ops.image_ops": [("resize_images", tf.image.resize_images)],
    "training.training_util": [("get_or_create_global_step", tf.train.get_or_create_global_step)],
    "training.moving_averages": [("ExponentialMovingAverage", tf.train.ExponentialMovingAverage)],
    "training.saver": [("Saver", tf.train.Saver)],
    "training.optimizer": [("Optimizer", tf.train.Optimizer)],
    "training.session_run_hook": [("SessionRunHook", tf.train.SessionRunHook)],
    "training.basic_session_run_hooks": [("StopAtStepHook", tf.train.StopAtStepHook)],
    "training.monitored_session": [("MonitoredTrainingSession", tf.train.MonitoredTrainingSession)],
    "training.queue_runner": [("QueueRunner", tf.train.QueueRunner)],
    "training.training": [("AdamOptimizer", tf.train.AdamOptimizer)],
    "platform.gfile": [("Exists", tf.gfile.Exists)],
    "platform.tf_logging": [("info", tf.logging.info)],
    "platform.app": [("run", tf.app.run)],
    "platform.flags": [("DEFINE_string", tf.flags.DEFINE_string)],
    "client.session": [("Session", tf.Session)],
    "layers.core": [("dense", tf.layers.dense), ("Dense", tf.layers.Dense)],
    "layers.convolutional": [("conv2d", tf.layers.conv2d)],
    "layers.normalization": [("batch_normalization", tf.layers.batch_normalization)],
    "layers.pooling": [("max_pooling2d", tf.layers.max_pooling2d)],
    "layers.base": [("Layer", tf.layers.Layer)],
    "util.nest": [("flatten", tf.nest.flatten)],
    "summary.summary": [("scalar", tf.summary.scalar)],
    "saved_model.tag_constants": [("SERVING", tf.saved_model.tag_constants.SERVING)],
    "saved_model.builder": [("SavedModelBuilder", tf.saved_model.builder.SavedModelBuilder)],
}


@pytest.mark.parametrize("module", sorted(SAME))
def test_names_are_flowzeros_public_objects(module):
    mod = importlib.import_module(f"flowzero.python.{module}")
    for name, obj in SAME[module]:
        got = getattr(mod, name)
        if obj is not None:
            assert got is obj, f"tensorflow.python.{module}.{name}"
        assert name in dir(mod)


def test_every_module_and_package_imports():
    for key in NAMES:
        mod = importlib.import_module(f"flowzero.python.{key}")
        assert mod.__name__ == f"flowzero.python.{key}"
    from flowzero.python import ops  # a package: its submodules are attributes

    assert ops.math_ops.matmul is tf.matmul
    import flowzero.python.ops.math_ops as math_ops

    assert math_ops is ops.math_ops


def test_missing_name_says_flowzero_does_not_implement_it():
    from flowzero.python.ops import math_ops

    with pytest.raises(AttributeError, match=r"tensorflow\.python\.ops\.math_ops\.no_such_fn"):
        math_ops.no_such_fn  # noqa: B018
    with pytest.raises(ImportError, match="no_such_thing"):  # Python's from-import error
        from flowzero.python.framework.ops import no_such_thing  # noqa: F401
    with pytest.raises(ImportError):
        import flowzero.python.no_such_module  # noqa: F401


def test_star_import_binds_the_public_names():
    ns: dict = {}
    exec("from flowzero.python.framework.tensor_shape import *", ns)
    assert ns["TensorShape"] is tf.TensorShape


def test_import_flowzero_does_not_import_flowzero_python():
    code = "import sys, flowzero; print('flowzero.python' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_tf_python_attribute_is_the_package():
    assert tf.python is importlib.import_module("flowzero.python")
    assert tf.python.framework.ops.Graph is tf.Graph


def test_tensor_shape_scalar_and_tensor_util_constant_value():
    from flowzero.python.framework import tensor_shape, tensor_util

    assert tensor_shape.scalar() == tf.TensorShape([])
    with tf.Graph().as_default():
        assert tensor_util.constant_value(tf.constant(3.0) * 2) == 6.0
        assert tensor_util.constant_value(tf.placeholder(tf.float32)) is None


def test_ops_get_name_scope_and_collection_keys():
    from flowzero.python.framework import ops

    with tf.Graph().as_default() as g:
        with ops.name_scope("outer"):
            assert ops.get_name_scope() == "outer"
        ops.add_to_collection("mine", 1)
        assert "mine" in ops.get_all_collection_keys()
        assert ops.get_default_graph() is g


def test_device_lib_lists_one_cpu():
    from flowzero.python.client import device_lib

    devices = device_lib.list_local_devices()
    assert len(devices) == 1
    d = devices[0]
    assert (d.name, d.device_type) == ("/device:CPU:0", "CPU")
    assert d.memory_limit == 268435456 and d.physical_device_desc == ""
    assert isinstance(d.incarnation, int) and d.locality.bus_id == 0
    assert 'name: "/device:CPU:0"' in str(d) and 'device_type: "CPU"' in str(d)
    assert [x.name for x in device_lib.list_local_devices() if x.device_type == "GPU"] == []


def test_selu_dropout_program_pattern_runs():
    # The pattern of a public TF1 tutorial (SELU dropout) built from the internal modules.
    from flowzero.python.framework import ops, tensor_shape, tensor_util
    from flowzero.python.layers import utils
    from flowzero.python.ops import array_ops, math_ops, random_ops

    with tf.Graph().as_default():
        x = ops.convert_to_tensor(np.ones((4, 3), np.float32), name="x")
        keep = ops.convert_to_tensor(0.5, dtype=x.dtype, name="keep_prob")
        keep.get_shape().assert_is_compatible_with(tensor_shape.scalar())
        assert tensor_util.constant_value(keep) == 0.5
        noise = keep + random_ops.random_uniform(array_ops.shape(x), seed=1, dtype=x.dtype)
        mask = math_ops.floor(noise)
        training = tf.placeholder(tf.bool)
        y = utils.smart_cond(training, lambda: x * mask, lambda: array_ops.identity(x))
        with tf.Session() as sess:
            out = sess.run(y, {training: True})
            assert set(np.unique(out)) <= {0.0, 1.0}
            np.testing.assert_array_equal(sess.run(y, {training: False}), np.ones((4, 3)))
