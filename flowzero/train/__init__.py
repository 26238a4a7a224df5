"""tf.train: optimizers, learning-rate schedules and the global step.

Clipping (tf.clip_by_global_norm, tf.clip_by_norm, ...) is top-level in TF1; it lives in
flowzero.train.clip and is re-exported by flowzero/__init__.py.

The book's ("Deep Learning from Scratch" ch. 6) optimizers are `tf.train.book`
(flowzero/book/optimizers.py).
"""

from flowzero.book import optimizers as book
from flowzero.train.adadelta import AdadeltaOptimizer
from flowzero.train.adagrad import AdagradOptimizer
from flowzero.train.adagrad_da import AdagradDAOptimizer
from flowzero.train.adam import AdamOptimizer
from flowzero.train.ftrl import FtrlOptimizer
from flowzero.train.gradient_descent import GradientDescentOptimizer
from flowzero.train.learning_rate import (
    cosine_decay,
    cosine_decay_restarts,
    exponential_decay,
    inverse_time_decay,
    linear_cosine_decay,
    natural_exp_decay,
    noisy_linear_cosine_decay,
    piecewise_constant,
    piecewise_constant_decay,
    polynomial_decay,
)
from flowzero.train.momentum import MomentumOptimizer
from flowzero.train.moving_averages import ExponentialMovingAverage
from flowzero.train.optimizer import Optimizer
from flowzero.train.proximal import ProximalAdagradOptimizer, ProximalGradientDescentOptimizer
from flowzero.train.rmsprop import RMSPropOptimizer

# Imported here, not on first use: the function shares its module's name, and a lazy name would
# lose to the submodule once anything imports flowzero.train.summary_iterator (the import
# system sets the package attribute to the module). The module itself imports nothing heavy.
from flowzero.train.summary_iterator import summary_iterator
from flowzero.train.training_util import (
    assert_global_step,
    create_global_step,
    get_global_step,
    get_or_create_global_step,
    global_step,
)

__all__ = [
    "ExponentialMovingAverage",
    "Optimizer",
    "GradientDescentOptimizer",
    "MomentumOptimizer",
    "AdagradOptimizer",
    "RMSPropOptimizer",
    "AdamOptimizer",
    "AdadeltaOptimizer",
    "FtrlOptimizer",
    "ProximalGradientDescentOptimizer",
    "ProximalAdagradOptimizer",
    "AdagradDAOptimizer",
    "book",
    "exponential_decay",
    "piecewise_constant",
    "polynomial_decay",
    "natural_exp_decay",
    "inverse_time_decay",
    "cosine_decay",
    "noisy_linear_cosine_decay",
    "get_global_step",
    "create_global_step",
    "get_or_create_global_step",
    "assert_global_step",
    "global_step",
    "Saver",
    "CheckpointReader",
    "CheckpointState",
    "NewCheckpointReader",
    "checkpoint_exists",
    "export_meta_graph",
    "get_checkpoint_state",
    "import_meta_graph",
    "latest_checkpoint",
    "list_variables",
    "load_checkpoint",
    "load_variable",
    "update_checkpoint_state",
    "write_graph",
    "summary_iterator",
]


# Checkpointing (Saver, graph export) is imported on first use: `import flowzero` stays light.
_SAVER_NAMES = frozenset(
    {
        "CheckpointReader",
        "CheckpointState",
        "NewCheckpointReader",
        "Saver",
        "checkpoint_exists",
        "get_checkpoint_state",
        "latest_checkpoint",
        "list_variables",
        "load_checkpoint",
        "load_variable",
        "update_checkpoint_state",
    }
)


# Training loops (MonitoredSession and its hooks, Coordinator, queue input pipelines), also on
# first use: name -> the flowzero.train module that defines it.
_LAZY_NAMES = {
    **dict.fromkeys(
        [
            "MonitoredTrainingSession",
            "MonitoredSession",
            "SingularMonitoredSession",
            "Scaffold",
            "SessionManager",
            "SessionCreator",
            "ChiefSessionCreator",
            "WorkerSessionCreator",
        ],
        "monitored_session",
    ),
    **dict.fromkeys(
        ["SessionRunHook", "SessionRunArgs", "SessionRunContext", "SessionRunValues"],
        "session_run_hook",
    ),
    **dict.fromkeys(
        [
            "StopAtStepHook",
            "NanTensorHook",
            "NanLossDuringTrainingError",
            "LoggingTensorHook",
            "CheckpointSaverHook",
            "CheckpointSaverListener",
            "SummarySaverHook",
            "StepCounterHook",
            "FinalOpsHook",
            "FeedFnHook",
            "SecondOrStepTimer",
        ],
        "basic_session_run_hooks",
    ),
    **dict.fromkeys(["Coordinator", "LooperThread"], "coordinator"),
    **dict.fromkeys(["Checkpoint", "CheckpointManager"], "checkpoint"),
    **dict.fromkeys(["Supervisor", "basic_train_loop"], "supervisor"),
    **dict.fromkeys(["GlobalStepWaiterHook", "ProfilerHook"], "step_hooks"),
    "ClusterSpec": "server_lib",
    **dict.fromkeys(
        ["maybe_batch", "maybe_batch_join", "maybe_shuffle_batch", "maybe_shuffle_batch_join"],
        "input_maybe",
    ),
    **dict.fromkeys(["VocabInfo", "init_from_checkpoint", "warm_start"], "warm_starting"),
    **dict.fromkeys(
        [
            "generate_checkpoint_state_proto",
            "get_checkpoint_mtimes",
            "remove_checkpoint",
            "checkpoints_iterator",
        ],
        "checkpoint_management",
    ),
    **dict.fromkeys(["QueueRunner", "start_queue_runners", "add_queue_runner"], "queue_runner"),
    **dict.fromkeys(
        [
            "input_producer",
            "string_input_producer",
            "range_input_producer",
            "slice_input_producer",
            "limit_epochs",
            "batch",
            "shuffle_batch",
            "batch_join",
            "shuffle_batch_join",
        ],
        "input",
    ),
}
__all__ += sorted(_LAZY_NAMES)
# tf.train.Example and friends (flowzero/proto/example.proto), protobuf loaded on first use.
_EXAMPLE_PROTOS = frozenset(
    {
        "BytesList",
        "Example",
        "Feature",
        "FeatureList",
        "FeatureLists",
        "Features",
        "FloatList",
        "Int64List",
        "SequenceExample",
    }
)
__all__ += sorted(_EXAMPLE_PROTOS) + ["match_filenames_once"]


def __getattr__(name: str) -> object:
    import importlib

    if name in _SAVER_NAMES:
        from flowzero.train import saver

        value = getattr(saver, name)
    elif name in _LAZY_NAMES:
        value = getattr(importlib.import_module(f"flowzero.train.{_LAZY_NAMES[name]}"), name)
    elif name == "SaverDef":  # TensorFlow's message (flowzero/proto/saver.proto)
        from flowzero.proto import SaverDef

        value = SaverDef
    elif name == "queue_runner":  # tf.train.queue_runner.QueueRunner
        value = importlib.import_module("flowzero.train.queue_runner")
    elif name == "write_graph":  # TensorFlow's GraphDef file (flowzero/interop)
        from flowzero.interop.graph_def import write_graph

        value = write_graph
    elif name in ("export_meta_graph", "import_meta_graph"):  # TF's MetaGraphDef
        from flowzero.interop import meta_graph

        value = getattr(meta_graph, name)
    elif name in _EXAMPLE_PROTOS:  # tf.train.Example and its parts: TF's protobuf messages
        from flowzero import proto

        value = getattr(proto, name)
    elif name == "match_filenames_once":  # a local variable over tf.io.matching_files
        from flowzero.ops.io_ops import match_filenames_once

        value = match_filenames_once
    elif name == "SummaryWriter":  # TF 0.x name of tf.summary.FileWriter
        from flowzero.summary import FileWriter

        value = FileWriter
    else:
        import importlib

        from flowzero.compat import missing_attribute

        raise missing_attribute("train", name, importlib.import_module(__name__))
    globals()[name] = value
    return value
