"""tf.train.Optimizer: minimize = compute_gradients + apply_gradients, slots, in-place updates.

A subclass supplies TF1's hooks: `_create_slots(var_list)`, `_prepare()`, `_apply_dense(grad,
var)` (builds one in-place update op per variable, e.g. ApplyAdam), optionally `_apply_sparse(
grad, var)` for a gradient of some rows (an IndexedSlices of distinct indices; e.g.
SparseApplyMomentum: see train/sparse_apply.py for when a gradient is one) and `_finish`.
Update ops take the variable's storage ref (VariableV2 output) and its slots' refs and mutate
their arrays in place; `ApplyOp` below holds their shared build-time checks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from flowzero.autodiff import gradients
from flowzero.framework import dtypes
from flowzero.framework.graph import (
    GraphKeys,
    Operation,
    Tensor,
    _as_op,
    convert_to_tensor,
    get_default_graph,
)
from flowzero.framework.registry import OpDef, TensorSpec, spec
from flowzero.ops import array_ops, control_ops, segment_ops, sort_ops, state_ops
from flowzero.ops.common import DTypeError
from flowzero.ops.indexed_slices import IndexedSlices
from flowzero.variables import Variable

# -- the in-place update ops' shared checks ----------------------------------------------------


class ApplyOp(OpDef):
    """Base of the update ops: inputs are `n_refs` variable refs (var first, then its slots),
    then `args` in TF's order, where `grad_arg` names the gradient and every other name a scalar
    hyper-parameter. The output is the updated variable (its storage, copied when fetched).

    NOTE: TF requires every scalar to have the variable's dtype; here any real scalar is
    accepted and cast to the variable's dtype in the kernel, so a float32 decayed learning
    rate drives a float64 variable and a Python float never upcasts a float32 one.
    """

    stateful = True
    aliases_state = True
    differentiable = False
    n_refs: ClassVar[int] = 1
    args: ClassVar[tuple[str, ...]] = ("grad",)
    grad_arg: ClassVar[str] = "grad"  # the name of the gradient among `args`

    def infer(self, *inputs: Tensor) -> TensorSpec:
        names = [f"ref{i}" for i in range(self.n_refs)] + list(self.args)
        if len(inputs) != len(names):
            raise self.error(
                f"expects {len(names)} inputs ({', '.join(names)}); got {len(inputs)}."
            )
        var = inputs[0]
        for i, ref in enumerate(inputs[: self.n_refs]):
            what = "var" if i == 0 else f"slot {i}"
            if ref.op.type != "VariableV2":
                raise self.error(
                    f"{what} must be a Variable's ref; got {ref.op.type} "
                    f"'{ref.op.name}'. Pass variable._ref().",
                    cls=DTypeError,
                )
            if ref.dtype is not var.dtype or not ref.shape.is_compatible_with(var.shape):
                raise self.error(
                    f"{what} '{ref.op.name}' must match var '{var.op.name}'; got "
                    f"{ref.dtype.name} {ref.shape} vs {var.dtype.name} "
                    f"{var.shape}.",
                    cls=DTypeError,
                )
        if not (var.dtype.is_floating or var.dtype.is_complex):
            raise self.error(f"var must be floating point; got {var.dtype.name}.", cls=DTypeError)
        for name, t in zip(self.args, inputs[self.n_refs :]):
            if name == self.grad_arg:
                if t.dtype is not var.dtype:
                    raise self.error(
                        f"grad must have the variable's dtype {var.dtype.name}; "
                        f"got {t.dtype.name}. Use tf.cast.",
                        cls=DTypeError,
                    )
                self.infer_grad(var, t)
                continue
            if name == "indices":
                self.infer_indices(t)
                continue
            if t.dtype.np.kind not in "fiu":
                raise self.error(
                    f"{name} must be a real scalar; got {t.dtype.name}.", cls=DTypeError
                )
            if t.shape.known is not None and len(t.shape.known) != 0:
                raise self.error(f"{name} must be a scalar; got shape {t.shape}.")
        return spec(var.shape, var.dtype)

    def infer_grad(self, var: Tensor, grad: Tensor) -> None:
        """Build-time shape check of the gradient (dense: var's shape)."""
        if not grad.shape.is_compatible_with(var.shape):
            raise self.error(
                f"var and grad must have the same shape; got var "
                f"'{var.op.name}': {var.shape}, grad: {grad.shape}."
            )

    def infer_indices(self, indices: Tensor) -> None:
        """Build-time check of an `indices` input (the sparse update ops have one)."""
        raise self.error("takes no indices.")

    def check_grad(self, var: np.ndarray, grad: np.ndarray) -> None:
        """Run-time shape check (static shapes may have been unknown)."""
        if grad.shape != var.shape:
            raise self.error(
                f"var and grad do not have the same shape; got var: "
                f"{var.shape}, grad: {grad.shape}."
            )


def apply_op(
    cls: type[ApplyOp], refs: list[Tensor], args: list[Any], name: str | None = None, **attrs: Any
) -> Tensor:
    """Builds one update op from variable refs and (scalar, grad) tensors."""
    from flowzero.framework.graph import apply_op as _apply

    return _apply(cls, [*refs, *args], attrs, name=name or cls.type)


# -- the optimizer base ------------------------------------------------------------------------


def _var_key(var: Any) -> tuple[int, str]:
    return (id(var.graph), var.op.name)


class Optimizer:
    """Base class of TF1's optimizers (tf.train.Optimizer).

    Args:
        use_locking: accepted for TF compatibility (flowzero runs one op at a time).
        name: the name scope of the update ops and the suffix of slot variable names.

    GUARD: `apply_gradients` (and so `minimize`) runs every op in the graph's UPDATE_OPS
    collection (tf.GraphKeys.UPDATE_OPS: batch-norm moving averages and the like) as a control
    dependency of the variable updates. TF1 needs the idiom
    `with tf.control_dependencies(tf.get_collection(tf.GraphKeys.UPDATE_OPS)):` around
    minimize(), and forgetting it silently freezes the moving averages; flowzero does it for
    you (writing the idiom as well is harmless). Only ops already in the collection when
    apply_gradients is called are included.
    """

    GATE_NONE = 0
    GATE_OP = 1
    GATE_GRAPH = 2

    def __init__(self, use_locking: bool, name: str) -> None:
        if not name:
            raise ValueError("Must specify the optimizer name")
        self._use_locking = bool(use_locking)
        self._name = name
        self._slots: dict[str, dict[tuple[int, str], Variable]] = {}
        self._non_slot_dict: dict[tuple[str, int], Variable] = {}
        self._hyper_cache: dict[tuple[str, dtypes.DType], Tensor] = {}
        self._apply_scope = ""

    def get_name(self) -> str:
        return self._name

    # -- the public API ------------------------------------------------------------------------
    def minimize(
        self,
        loss: Any,
        global_step: Any = None,
        var_list: Any = None,
        gate_gradients: int = GATE_OP,
        aggregation_method: Any = None,
        colocate_gradients_with_ops: bool = False,
        name: str | None = None,
        grad_loss: Any = None,
    ) -> Operation:
        """Adds ops that minimize `loss` by updating `var_list`: compute_gradients, then
        apply_gradients (which also runs the UPDATE_OPS collection, see the class docstring).

        Args:
            loss: a scalar Tensor to minimize.
            global_step: an optional integer Variable, incremented by one after the updates.
            var_list: the Variables to train (default: the TRAINABLE_VARIABLES collection).
            gate_gradients, aggregation_method, colocate_gradients_with_ops: accepted for TF
                compatibility; all gradients are computed before any variable is updated.
            name: name of the returned op (default: the optimizer's name).
            grad_loss: optional gradient of `loss` (default: ones).

        Returns:
            The train Operation; run it to take one step.

        Raises:
            ValueError: no variables to optimize, or no variable receives a gradient.

        Example:
            >>> x = tf.placeholder(tf.float32, [None])
            >>> y_ = tf.placeholder(tf.float32, [None])
            >>> a = tf.Variable(0.0)
            >>> loss = tf.reduce_mean(tf.square(a * x - y_))
            >>> train_op = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
            >>> xs, ys = [1.0, 2.0], [2.0, 4.0]   # y = 2 x
            >>> sess = tf.Session()
            >>> sess.run(tf.global_variables_initializer())
            >>> for _ in range(100): _ = sess.run(train_op, feed_dict={x: xs, y_: ys})
            >>> print(round(float(sess.run(a)), 4))
            2.0
        """
        grads_and_vars = self.compute_gradients(
            loss,
            var_list=var_list,
            gate_gradients=gate_gradients,
            aggregation_method=aggregation_method,
            colocate_gradients_with_ops=colocate_gradients_with_ops,
            grad_loss=grad_loss,
        )
        vars_with_grad = [v for g, v in grads_and_vars if g is not None]
        if not vars_with_grad:
            raise ValueError(
                "No gradients provided for any variable, check your graph for ops that do not "
                f"support gradients, between variables {[str(v) for _, v in grads_and_vars]} "
                f"and loss {loss}."
            )
        return self.apply_gradients(grads_and_vars, global_step=global_step, name=name)

    def compute_gradients(
        self,
        loss: Any,
        var_list: Any = None,
        gate_gradients: int = GATE_OP,
        aggregation_method: Any = None,
        colocate_gradients_with_ops: bool = False,
        grad_loss: Any = None,
    ) -> list[tuple[Tensor | None, Variable]]:
        """The gradients of `loss` for the variables in `var_list`.

        Returns:
            A list of (gradient, variable) pairs; the gradient is None for a variable that
            `loss` does not depend on.

        Raises:
            ValueError: `var_list` is empty (and no variable is trainable), or holds
                something that is not a Variable.
            ValueError: `loss` or a variable is not floating point.
        """
        g = get_default_graph()
        if getattr(g, "_eager", False) and not g._defun_depth:  # (a defun trace: graph mode)
            return self._eager_gradients(loss, var_list, grad_loss)
        if callable(loss) and not isinstance(loss, Tensor):
            loss = loss()
        if gate_gradients not in (self.GATE_NONE, self.GATE_OP, self.GATE_GRAPH):
            raise ValueError(
                f"gate_gradients must be one of: Optimizer.GATE_NONE, "
                f"Optimizer.GATE_OP, Optimizer.GATE_GRAPH. Not {gate_gradients}"
            )
        loss = convert_to_tensor(loss)
        self._assert_valid_dtypes([loss])
        g = loss.graph
        if var_list is None:
            var_list = g.get_collection(GraphKeys.TRAINABLE_VARIABLES)
        else:
            var_list = list(var_list)
        if not var_list:
            raise ValueError("No variables to optimize.")
        for v in var_list:
            if not isinstance(v, Variable):
                raise ValueError(f"var_list must contain tf.Variable objects; got {v!r}.")
        self._assert_valid_dtypes([v for v in var_list])
        grads = gradients(
            loss,
            var_list,
            grad_ys=None if grad_loss is None else [grad_loss],
            aggregation_method=aggregation_method,
            colocate_gradients_with_ops=colocate_gradients_with_ops,
        )
        if gate_gradients == self.GATE_GRAPH:
            grads = control_ops.tuple_(grads)
        return list(zip(grads, var_list))

    def _eager_gradients(
        self, loss: Any, var_list: Any, grad_loss: Any
    ) -> list[tuple[Tensor | None, Variable]]:
        """Eager execution: `loss` is a function, differentiated on a GradientTape."""
        from flowzero.eager.backprop import GradientTape

        if not callable(loss) or isinstance(loss, Tensor):
            raise RuntimeError(
                "`loss` passed to Optimizer.compute_gradients should be a "
                "function when eager execution is enabled."
            )
        with GradientTape() as tape:
            value = loss()
        if var_list is None:
            var_list = tape.watched_variables()
        var_list = list(var_list)
        if not var_list:
            raise ValueError("No variables to optimize.")
        grads = tape.gradient(value, var_list, output_gradients=grad_loss)
        return list(zip(grads, var_list))

    def apply_gradients(
        self, grads_and_vars: Any, global_step: Any = None, name: str | None = None
    ) -> Operation:
        """Adds one in-place update op per (gradient, variable) pair; pairs with a None
        gradient are skipped. Also runs the UPDATE_OPS collection (see the class docstring).

        Args:
            grads_and_vars: (gradient, Variable) pairs, as compute_gradients returns.
            global_step: an optional integer Variable, incremented after all updates.
            name: name of the returned op (default: the optimizer's name).

        Returns:
            The train Operation.

        Raises:
            ValueError: no pairs, or every gradient is None.
        """
        pairs = tuple(grads_and_vars)
        if not pairs:
            raise ValueError("No variables provided.")
        converted: list[tuple[Tensor | None, Variable]] = []
        for gr, v in pairs:
            if not isinstance(v, Variable):
                raise TypeError(f"apply_gradients: expected a tf.Variable; got {v!r}.")
            if gr is not None and not isinstance(gr, IndexedSlices):
                try:
                    gr = convert_to_tensor(gr)
                except (TypeError, ValueError) as e:
                    raise TypeError(
                        f"Gradient must be convertible to a Tensor or None: {gr!r} ({e})"
                    ) from None
            converted.append((gr, v))
        var_list = [v for gr, v in converted if gr is not None]
        if not var_list:
            raise ValueError(
                f"No gradients provided for any variable: {[str(v) for _, v in converted]}."
            )
        g = var_list[0].graph
        with g.as_default():
            self._create_slots(var_list)
            if getattr(g, "_deferred_restores", None):  # eager: a Checkpoint restored early
                from flowzero.train.checkpoint import restore_deferred

                restore_deferred(g)
            update_deps = [_as_op(u) for u in g.get_collection(GraphKeys.UPDATE_OPS)]
            update_deps = [u for u in update_deps if u.graph is g]
            self._hyper_cache = {}
            try:
                with g.control_dependencies(update_deps), g.name_scope(name or self._name) as scope:
                    self._apply_scope = scope
                    self._prepare()
                    update_ops: list[Any] = []
                    for gr, v in converted:
                        if gr is None:
                            continue
                        with g.name_scope("update_" + v.op.name):
                            update_ops.append(self._apply_one(gr, v))
                    if global_step is None:
                        train_op = self._finish(update_ops, scope)
                    else:
                        with g.control_dependencies([self._finish(update_ops, "update")]):
                            train_op = state_ops.assign_add(global_step, 1, name=scope).op
            finally:
                self._hyper_cache, self._apply_scope = {}, ""
            ref = g.get_collection_ref(GraphKeys.TRAIN_OP)
            if train_op not in ref:
                ref.append(train_op)
        return train_op

    def get_slot(self, var: Any, name: str) -> Variable | None:
        """The slot variable `name` ("m", "momentum", ...) created for `var`, or None."""
        named = self._slots.get(name)
        if not named:
            return None
        return named.get(_var_key(var))

    def get_slot_names(self) -> list[str]:
        """The names of the slots this optimizer creates, sorted."""
        return sorted(self._slots)

    def variables(self) -> list[Variable]:
        """The optimizer's variables in the default graph (slots and e.g. Adam's beta powers),
        sorted by name; useful to initialize or save just them."""
        g = get_default_graph()
        out = [v for (_, gid), v in self._non_slot_dict.items() if gid == id(g)]
        for named in self._slots.values():
            out.extend(v for v in named.values() if v.graph is g)
        return sorted(out, key=lambda v: v.name)

    def _apply_one(self, grad: Any, var: Variable) -> Any:
        """A gradient that TF would hold as IndexedSlices (a gather's, see
        train/sparse_apply.py) goes to the sparse update where the optimizer has one, as TF's
        does; anything else to `_apply_dense`."""
        overrides = (
            type(self)._apply_sparse is not Optimizer._apply_sparse
            or type(self)._apply_sparse_duplicate_indices
            is not Optimizer._apply_sparse_duplicate_indices
        )
        if overrides:
            from flowzero.train.sparse_apply import sparse_gradient

            sparse = sparse_gradient(grad, var)
            if sparse is not None:
                return self._apply_sparse_duplicate_indices(sparse, var)
        if isinstance(grad, IndexedSlices):
            grad = convert_to_tensor(grad)
        return self._apply_dense(grad, var)

    # -- hooks for subclasses ------------------------------------------------------------------
    def _create_slots(self, var_list: list[Variable]) -> None:
        pass

    def _apply_sparse_duplicate_indices(self, grad: IndexedSlices, var: Variable) -> Any:
        """Sums the rows of repeated indices (TF's `_deduplicate_indexed_slices`), then
        `_apply_sparse`."""
        unique, where = sort_ops.unique(grad.indices)
        summed = segment_ops.unsorted_segment_sum(grad.values, where, array_ops.shape(unique)[0])
        return self._apply_sparse(IndexedSlices(summed, unique, grad.dense_shape), var)

    def _apply_sparse(self, grad: IndexedSlices, var: Variable) -> Any:
        """The update for a gradient of distinct rows; an optimizer without one applies
        the densified gradient."""
        return self._apply_dense(convert_to_tensor(grad), var)

    def _prepare(self) -> None:
        pass

    def _apply_dense(self, grad: Tensor, var: Variable) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement _apply_dense().")

    def _finish(self, update_ops: list[Any], name_scope: str) -> Operation:
        return control_ops.group(*update_ops, name=name_scope)

    # -- helpers for subclasses ----------------------------------------------------------------
    def _valid_dtypes(self) -> set[dtypes.DType]:
        return {dtypes.float16, dtypes.float32, dtypes.float64}

    def _assert_valid_dtypes(self, tensors: list[Any]) -> None:
        valid = self._valid_dtypes()
        for t in tensors:
            if t.dtype not in valid:
                raise ValueError(
                    f"Invalid type {t.dtype.name} for {t.name}, expected: "
                    f"{sorted(d.name for d in valid)}."
                )

    @staticmethod
    def _call_if_callable(param: Any) -> Any:
        return param() if callable(param) and not isinstance(param, (Tensor, Variable)) else param

    def _hyper(self, name: str, value: Any, var: Variable) -> Tensor:
        """A scalar hyper-parameter as a tensor for `var`'s update op.

        Python numbers become a constant of the variable's dtype (one per dtype and apply
        call, named like TF's: `<Optimizer>/learning_rate`); Tensors and Variables are used as
        they are (the kernel casts them), so a decayed learning rate works.
        """
        value = self._call_if_callable(value)
        if isinstance(value, Variable):
            return value.value()
        if isinstance(value, Tensor):
            return value
        key = (name, var.dtype)
        t = self._hyper_cache.get(key)
        if t is None:
            g = var.graph
            with g.name_scope(self._apply_scope or None):
                t = array_ops.constant(value, dtype=var.dtype, name=name)
            self._hyper_cache[key] = t
        return t

    def _slot_dict(self, slot_name: str) -> dict[tuple[int, str], Variable]:
        return self._slots.setdefault(slot_name, {})

    def _get_or_make_slot_with_initializer(
        self,
        var: Variable,
        initializer: Callable[..., Any],
        shape: Any,
        dtype: Any,
        slot_name: str,
        op_name: str,
    ) -> Variable:
        named = self._slot_dict(slot_name)
        key = _var_key(var)
        if key not in named:
            named[key] = _create_slot(var, lambda: initializer(shape, dtype=dtype), op_name)
        return named[key]

    def _get_or_make_slot(self, var: Variable, val: Any, slot_name: str, op_name: str) -> Variable:
        named = self._slot_dict(slot_name)
        key = _var_key(var)
        if key not in named:
            named[key] = _create_slot(var, lambda: val, op_name)
        return named[key]

    def _zeros_slot(self, var: Variable, slot_name: str, op_name: str) -> Variable:
        return self._get_or_make_slot_with_initializer(
            var,
            lambda shape, dtype: array_ops.zeros(shape, dtype=dtype),
            var.shape.as_list(),
            var.dtype,
            slot_name,
            op_name,
        )

    def _create_non_slot_variable(
        self, initial_value: Any, name: str, colocate_with: Any, dtype: Any = None
    ) -> Variable:
        g = colocate_with.graph
        key = (name, id(g))
        v = self._non_slot_dict.get(key)
        if v is None:
            with g.as_default():
                v = Variable(initial_value, name=name, trainable=False, dtype=dtype)
            self._non_slot_dict[key] = v
        return v

    def _get_non_slot_variable(self, name: str, graph: Any = None) -> Variable | None:
        g = graph if graph is not None else get_default_graph()
        return self._non_slot_dict.get((name, id(g)))


def _create_slot(var: Variable, initial: Callable[[], Any], op_name: str) -> Variable:
    """A non-trainable global Variable named `<var>/<op_name>` (uniquified: `_1`, `_2`, ...),
    created at the root name scope as TF names slots."""
    g = var.graph
    if not var.shape.is_fully_defined():
        raise ValueError(
            f"Cannot create an optimizer slot for variable '{var.op.name}' of "
            f"partly unknown shape {var.shape}."
        )
    with g.as_default(), g.name_scope(None):
        return Variable(initial, trainable=False, name=f"{var.op.name}/{op_name}", dtype=var.dtype)


def scalar_of(x: np.ndarray, dtype: np.dtype) -> Any:
    """A run-time scalar input as a NumPy scalar of the variable's dtype (no upcast)."""
    return dtype.type(x)


__all__ = ["Optimizer"]
