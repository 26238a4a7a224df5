"""tf.estimator: the Estimator, its specs and configs, input_fns, export, and the canned
estimators (DNN/Linear classifiers and regressors over tf.feature_column).

    classifier = tf.estimator.Estimator(model_fn=cnn_model_fn, model_dir="/tmp/mnist_convnet")
    classifier.train(input_fn=tf.estimator.inputs.numpy_input_fn(
        x={"x": train_data}, y=train_labels, batch_size=100, num_epochs=None, shuffle=True),
        steps=2000)
    print(classifier.evaluate(input_fn=eval_input_fn))

docs/estimator.md has the details.
"""

from flowzero.estimator import export, inputs
from flowzero.estimator.estimator import Estimator
from flowzero.estimator.model_fn import EstimatorSpec, ModeKeys
from flowzero.estimator.run_config import RunConfig
from flowzero.estimator.training import EvalSpec, TrainSpec, train_and_evaluate
from flowzero.train.basic_session_run_hooks import (
    CheckpointSaverHook,
    CheckpointSaverListener,
    FeedFnHook,
    FinalOpsHook,
    LoggingTensorHook,
    NanLossDuringTrainingError,
    NanTensorHook,
    StepCounterHook,
    StopAtStepHook,
    SummarySaverHook,
)
from flowzero.train.session_run_hook import (
    SessionRunArgs,
    SessionRunContext,
    SessionRunHook,
    SessionRunValues,
)

_CANNED = frozenset({"DNNClassifier", "DNNRegressor", "LinearClassifier", "LinearRegressor"})

__all__ = [
    "Estimator",
    "EstimatorSpec",
    "ModeKeys",
    "RunConfig",
    "TrainSpec",
    "EvalSpec",
    "train_and_evaluate",
    "export",
    "inputs",
    *sorted(_CANNED),
    "SessionRunHook",
    "SessionRunArgs",
    "SessionRunContext",
    "SessionRunValues",
    "CheckpointSaverHook",
    "CheckpointSaverListener",
    "FeedFnHook",
    "FinalOpsHook",
    "LoggingTensorHook",
    "NanLossDuringTrainingError",
    "NanTensorHook",
    "StepCounterHook",
    "StopAtStepHook",
    "SummarySaverHook",
]


def __getattr__(name: str) -> object:
    if name in _CANNED:
        from flowzero.estimator import canned

        value = getattr(canned, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'flowzero.estimator' has no attribute '{name}'")
