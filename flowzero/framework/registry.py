"""OpDef, the one place an op lives, and the registry of op types.

An op type is one OpDef subclass registered under its TF name. It holds, side by side:

- `infer(*inputs)`   build time: input Tensors (+ `self.attrs`) -> output TensorSpec(s);
- `compute(*arrays)` run time: ndarrays in, ndarray(s) out (NumPy only; no Graph, no Session);
- `gradient(op, *dys)` graph ops, one entry per input (None = no gradient through that input).

An op that heads a fusion pattern, or hands a by-product to a backward op, also declares the
fused kernel (`fuse`) or the hand-over (`compute_handing_over` / `takes_handover`) here; which
chains fuse is one table, flowzero/ops/fusions.py, registered with `register_fusions`.

Registering the same type twice fails and names the file:line of the first registration.
"""

from __future__ import annotations

import builtins
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

from flowzero.framework import dtypes as _dtypes
from flowzero.framework import errors
from flowzero.framework.shapes import TensorShape, as_shape


class TensorSpec(NamedTuple):
    """What `infer` returns for one output: its static shape and dtype."""

    shape: TensorShape
    dtype: _dtypes.DType


def spec(shape: Any, dtype: Any) -> TensorSpec:
    return TensorSpec(as_shape(shape), _dtypes.as_dtype(dtype))


class OpDef:
    """Base class of every op type. Subclasses are created per node with that node's attrs."""

    type: ClassVar[str] = ""
    # False = no gradient on purpose (TF's NotDifferentiable); ops whose gradient is simply not
    # written yet keep True and fail loudly in tf.gradients.
    differentiable: ClassVar[bool] = True
    # True = compute(ctx, *arrays) receives the session's RunContext (variables, RNG state).
    needs_context: ClassVar[bool] = False
    # True = an output may be the storage of a variable (must be copied when fetched).
    aliases_state: ClassVar[bool] = False
    # True = compute may return one of its input arrays itself (Identity-like).
    forwards_input: ClassVar[bool] = False
    # True = has side effects; never pruned by optimisations, never constant-folded.
    stateful: ClassVar[bool] = False
    # True = must be fed (Placeholder): the plan refuses to run it.
    requires_feed: ClassVar[bool] = False
    # True = gradient() returns, for every input, a tensor of exactly that input's run-time
    # shape (no broadcasting happened in the forward pass), so autodiff needs no SumTo.
    grads_match_inputs: ClassVar[bool] = False
    # True = gradient() receives None (not zeros) for outputs no gradient reached: ops with
    # many outputs of which usually few are differentiated (a fused LSTM step, a loop).
    none_for_missing_grads: ClassVar[bool] = False

    __slots__ = ("attrs", "node_name")

    def __init__(self, attrs: dict[str, Any] | None = None, node_name: str = "") -> None:
        self.attrs = attrs or {}
        self.node_name = node_name

    def infer(self, *inputs: Any) -> TensorSpec | list[TensorSpec]:
        raise NotImplementedError(f"{self.type}: infer() is not implemented")

    def compute(self, *arrays: Any) -> Any:
        raise NotImplementedError(f"{self.type}: compute() is not implemented")

    def kernel_for(self, live: tuple[bool, ...]) -> Any:
        """The kernel a plan runs for this node when only the outputs marked in `live` are
        read (fetched or consumed); None = `compute`. An op whose extra outputs cost work to
        produce (a loop's record for its gradient) skips that work when nobody reads them."""
        return None

    def exact_input_gradients(self, op: Any) -> bool:
        """Whether autodiff may skip un-broadcasting this op's input gradients."""
        return self.grads_match_inputs

    def gradient(self, op: Any, *dys: Any) -> list[Any]:
        raise errors.LookupGradientError(
            f"No gradient defined for operation '{op.name}' (op type: {self.type}). "
            "Wrap its input in tf.stop_gradient() if no gradient should flow through it."
        )

    # -- plan-level fusion (the patterns: flowzero/ops/fusions.py) ----------------------------
    def fuse(self, ops: list[Any]) -> tuple[list[Any], Callable[..., Any]] | None:
        """The head of a fusion pattern: for the matched chain `ops` (this op first), the
        chain's external input Tensors and its kernel, `kernel(*inputs, keep=False)`; with
        keep=True the kernel also returns the head's hand-over value, as
        `compute_handing_over` does. None = this chain does not fuse (attrs or dtypes that the
        fused kernel does not cover). A kernel raises `Unfusable` when run-time values do not
        fit it; the plan then runs the chain op by op."""
        return None

    def compute_handing_over(self, *arrays: Any) -> tuple[Any, Any]:
        """A hand-over's producer: (compute's result, the by-product a backward op of the same
        run reuses, or None when there is none this time)."""
        raise NotImplementedError(f"{self.type}: hands nothing over")

    def takes_handover(self, op: Any, producer: Any) -> bool:
        """A hand-over's consumer: whether `producer`'s by-product fits `op`, whose compute
        then receives it as one more, last argument."""
        return False

    # -- helpers for messages in the style of DESIGN.md §5 --------------------------------------
    def error(
        self, message: str, cls: builtins.type[errors.OpError] = errors.InvalidArgumentError
    ) -> errors.OpError:
        """An error `<OpType> '<node name>': <message>` to raise from infer or compute."""
        return cls(None, None, f"{self.type} '{self.node_name}': {message}")

    def __repr__(self) -> str:
        return f"<OpDef {self.type} {self.attrs}>"


_REGISTRY: dict[str, type[OpDef]] = {}
_WHERE: dict[str, str] = {}


def register_op(type_name: str) -> Any:
    """Class decorator: registers an OpDef subclass under its TF op type name."""

    def deco(cls: type[OpDef]) -> type[OpDef]:
        # The decorator runs in the defining module's frame: file:line for free (inspect's
        # source lookup would re-parse the module for every op and slow `import flowzero`).
        caller = sys._getframe(1)
        where = f"{caller.f_code.co_filename}:{caller.f_lineno}"
        if type_name in _REGISTRY:
            raise KeyError(
                f"Op type '{type_name}' is already registered at {_WHERE[type_name]}; "
                f"second registration at {where}."
            )
        cls.type = type_name
        _REGISTRY[type_name] = cls
        _WHERE[type_name] = where
        return cls

    return deco


_ON_MISSING: list[Callable[[str], None]] = []


def on_missing_op_type(hook: Callable[[str], None]) -> None:
    """Registers `hook(type_name)`, called when `get_op_class` meets an unregistered type
    before it gives up. The package uses it to import the op modules it loads on first use
    (summaries, queues, readers), so a saved graph holding their ops imports in a fresh
    program; the framework itself imports nothing above it."""
    _ON_MISSING.append(hook)


def get_op_class(type_name: str) -> type[OpDef]:
    cls = _REGISTRY.get(type_name)
    if cls is None:
        for hook in _ON_MISSING:
            hook(type_name)
        cls = _REGISTRY.get(type_name)
    if cls is None:
        raise errors.NotFoundError(None, None, f"Op type not registered '{type_name}'.")
    return cls


def registered_ops() -> dict[str, type[OpDef]]:
    """All registered op types (a copy), for the op-table meta-test and graph loading."""
    return dict(_REGISTRY)


# -- fusion patterns (declared in flowzero/ops/fusions.py, matched in runtime/fusion.py) ------
class Unfusable(Exception):
    """Raised by a fused kernel when the run-time values do not fit it: run the chain op by op."""


@dataclass(frozen=True)
class Follow:
    """A step of a fusion pattern: the next op is of one of `types` and is the only reader of
    the previous op's output, as its input number `via` (None: any of its inputs)."""

    types: tuple[str, ...]
    via: int | None = 0
    optional: bool = False  # the chain may end before this step (and every later one)


@dataclass(frozen=True)
class Fusion:
    """A chain a plan runs as one kernel: an op of type `head`, then `follow` in order; the
    head's OpDef.fuse builds the kernel."""

    head: str
    follow: tuple[Follow, ...]


@dataclass(frozen=True)
class Handover:
    """A by-product of a forward op (`producer`) that a backward op (`consumer`) of the same
    run reuses: the producer's OpDef.compute_handing_over makes it, the consumer's
    OpDef.takes_handover decides whether it fits."""

    producer: str
    consumer: str


_FUSIONS: list[Fusion] = []
_HANDOVERS: list[Handover] = []


def register_fusions(fusions: tuple[Fusion, ...], handovers: tuple[Handover, ...]) -> None:
    """Adds fusion patterns and hand-overs (the op catalogue's table does, once)."""
    _FUSIONS.extend(fusions)
    _HANDOVERS.extend(handovers)


def fusion_rules() -> tuple[tuple[Fusion, ...], tuple[Handover, ...]]:
    return tuple(_FUSIONS), tuple(_HANDOVERS)


# -- gradient functions by name (tf.RegisterGradient, used through gradient_override_map) ------
_GRADIENTS: dict[str, Any] = {}


class RegisterGradient:
    """`@tf.RegisterGradient("Name")`: registers `fn(op, *grads) -> [grad per input]` under a
    name that `graph.gradient_override_map({"OpType": "Name"})` gives to ops built inside it.

    Raises:
        KeyError: the name is registered already (or is a built-in op type's).
    """

    def __init__(self, op_type: str) -> None:
        if not isinstance(op_type, str):
            raise TypeError("RegisterGradient expects a string op type name.")
        self._op_type = op_type

    def __call__(self, fn: Any) -> Any:
        if self._op_type in _GRADIENTS or self._op_type in _REGISTRY:
            raise KeyError(
                f"Registering two gradient with name '{self._op_type}'! (Previous "
                "registration was a built-in op type or an earlier RegisterGradient.)"
            )
        _GRADIENTS[self._op_type] = fn
        return fn


def registered_gradient(name: str) -> Any:
    """The function RegisterGradient registered under `name`.

    Raises:
        LookupGradientError: nothing is registered under it.
    """
    try:
        return _GRADIENTS[name]
    except KeyError:
        raise errors.LookupGradientError(
            f"gradient_override_map names gradient '{name}', which no tf.RegisterGradient "
            "registered."
        ) from None


def not_differentiable(op_type: str) -> None:
    """`tf.NotDifferentiable(op_type)`: ops of this type pass no gradient (TF's no_gradient)."""
    get_op_class(op_type).differentiable = False
