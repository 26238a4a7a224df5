"""Cells made of cells: MultiRNNCell (a stack) and the Dropout / Residual / Device wrappers.

The wrappers open no variable scope of their own (TF's do not either), so a wrapped cell's
variables keep their names: `rnn/basic_lstm_cell/kernel` with or without a DropoutWrapper.
A MultiRNNCell puts layer k under `cell_k`: `rnn/multi_rnn_cell/cell_0/basic_lstm_cell/kernel`.
"""

from __future__ import annotations

import hashlib
import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from flowzero.framework import nest
from flowzero.framework.graph import Tensor, convert_to_tensor, device, get_default_graph
from flowzero.framework.shapes import TensorShape
from flowzero.nn.rnn_cell_base import (
    LSTMStateTuple,
    RNNCell,
    assert_like_rnncell,
    zero_state_tensors,
)
from flowzero.ops import division_ops, manip_ops, nn_impl, random_ops, slicing_ops, unary_ops
from flowzero.ops.common import static_value
from flowzero.variables import variable_scope


class MultiRNNCell(RNNCell):
    """Cells stacked in order: layer k's output is layer k+1's input.

    Args:
        cells: a non-empty list of cells; layer k's variables live under `cell_k`.
        state_is_tuple: states are a tuple with one entry per layer (else one tensor, the
            layers' states concatenated; every cell must then have an int state_size).

    Raises:
        ValueError: `cells` is empty, or a cell has a tuple state with state_is_tuple=False.
        TypeError: `cells` is not a list or tuple.

    Example:
        >>> cell = tf.nn.rnn_cell.MultiRNNCell([tf.nn.rnn_cell.BasicLSTMCell(n)
        ...                                     for n in (128, 64)])
    """

    def __init__(self, cells: Sequence[Any], state_is_tuple: bool = True) -> None:
        super().__init__()
        if not cells:
            raise ValueError("Must specify at least one cell for MultiRNNCell.")
        if not nest.is_sequence(cells):
            raise TypeError(f"cells must be a list or tuple, but saw: {cells!r}.")
        self._cells = list(cells)
        self._state_is_tuple = bool(state_is_tuple)
        if not state_is_tuple and any(nest.is_sequence(c.state_size) for c in self._cells):
            raise ValueError(
                f"Some cells return tuples of states, but the flag state_is_tuple "
                f"is not set. State sizes are: "
                f"{[c.state_size for c in self._cells]}"
            )

    @property
    def state_size(self) -> Any:
        if self._state_is_tuple:
            return tuple(c.state_size for c in self._cells)
        return sum(c.state_size for c in self._cells)

    @property
    def output_size(self) -> Any:
        return self._cells[-1].output_size

    def zero_state(self, batch_size: Any, dtype: Any) -> Any:
        with get_default_graph().name_scope(type(self).__name__ + "ZeroState"):
            if self._state_is_tuple:
                return tuple(c.zero_state(batch_size, dtype) for c in self._cells)
            return zero_state_tensors(self.state_size, batch_size, dtype)

    @property
    def trainable_weights(self) -> list[Any]:
        if not self.trainable:
            return []
        return [w for c in self._cells for w in getattr(c, "trainable_weights", [])]

    @property
    def non_trainable_weights(self) -> list[Any]:
        out = [w for c in self._cells for w in getattr(c, "non_trainable_weights", [])]
        if not self.trainable:
            out = [w for c in self._cells for w in getattr(c, "trainable_weights", [])] + out
        return out

    @property
    def weights(self) -> list[Any]:
        return self.trainable_weights + self.non_trainable_weights

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights
    variables = weights

    def call(self, inputs: Any, state: Any) -> tuple[Any, Any]:
        cur_inp = inputs
        pos = 0
        new_states = []
        for i, cell in enumerate(self._cells):
            with variable_scope(f"cell_{i}"):
                if self._state_is_tuple:
                    if not nest.is_sequence(state):
                        raise ValueError(
                            f"Expected state to be a tuple of length "
                            f"{len(self.state_size)}, but received: {state!r}"
                        )
                    cur_state = state[i]
                else:
                    cur_state = slicing_ops.slice(state, [0, pos], [-1, cell.state_size])
                    pos += cell.state_size
                cur_inp, new_state = cell(cur_inp, cur_state)
                new_states.append(new_state)
        out_state = tuple(new_states) if self._state_is_tuple else manip_ops.concat(new_states, 1)
        return cur_inp, out_state


class _Wrapper(RNNCell):
    """A cell that delegates sizes and zero_state to the cell it wraps."""

    def __init__(self, cell: Any) -> None:
        super().__init__()
        assert_like_rnncell("cell", cell)
        self._cell = cell

    @property
    def wrapped_cell(self) -> Any:
        return self._cell

    @property
    def state_size(self) -> Any:
        return self._cell.state_size

    @property
    def output_size(self) -> Any:
        return self._cell.output_size

    @property
    def trainable_weights(self) -> list[Any]:
        return list(getattr(self._cell, "trainable_weights", []))

    @property
    def non_trainable_weights(self) -> list[Any]:
        return list(getattr(self._cell, "non_trainable_weights", []))

    @property
    def weights(self) -> list[Any]:
        return self.trainable_weights + self.non_trainable_weights

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights
    variables = weights

    def zero_state(self, batch_size: Any, dtype: Any) -> Any:
        with get_default_graph().name_scope(type(self).__name__ + "ZeroState"):
            return self._cell.zero_state(batch_size, dtype)


def _default_dropout_state_filter(substate: Any) -> Any:
    if isinstance(substate, LSTMStateTuple):
        return LSTMStateTuple(c=False, h=True)  # never drop the memory cell
    if (
        not isinstance(substate, Tensor)
        and not nest.is_sequence(substate)
        and type(substate).__name__ == "TensorArray"
    ):
        return False
    return True


def _static_keep_prob(value: Any, what: str) -> Any:
    """A Python float for a known keep probability (checked in [0, 1]), else the tensor."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        known: Any = float(value)
    else:
        t = convert_to_tensor(value)
        v = static_value(t)
        if v is None:
            return t
        known = float(np.asarray(v))
    if not 0.0 <= known <= 1.0:
        raise ValueError(f"Parameter {what} must be between 0 and 1: {known}")
    return known


class DropoutWrapper(_Wrapper):
    """Dropout on a cell's inputs, outputs and (new) state.

    By default the `c` part of an LSTMStateTuple is never dropped (only `h`), as in TF; a
    TensorArray in the state is left alone too.

    Args:
        cell: the cell to wrap.
        input_keep_prob, output_keep_prob, state_keep_prob: keep probabilities, each a float in
            [0, 1] or a scalar tensor (e.g. a placeholder fed 1.0 at evaluation); a constant 1
            adds no op.
        variational_recurrent: use one dropout mask for every time step of a session run
            (Gal & Ghahramani 2016), drawn when the wrapper is built; needs `dtype`, and
            `input_size` when inputs are dropped.
        input_size: the input depth(s), for variational_recurrent input dropout.
        dtype: the dtype of inputs, state and outputs, for variational_recurrent.
        seed: a seed; each dropout site derives its own from it.
        dropout_state_filter_visitor: fn(substate) -> bool, or a depth-1 structure of bools,
            choosing the state parts to drop.

    Raises:
        ValueError: a constant keep probability outside [0, 1]; variational_recurrent without
            dtype, or without input_size while inputs are dropped.
        TypeError: `cell` is not a cell, or the filter is not callable.
    """

    def __init__(
        self,
        cell: Any,
        input_keep_prob: Any = 1.0,
        output_keep_prob: Any = 1.0,
        state_keep_prob: Any = 1.0,
        variational_recurrent: bool = False,
        input_size: Any = None,
        dtype: Any = None,
        seed: int | None = None,
        dropout_state_filter_visitor: Callable[[Any], Any] | None = None,
    ) -> None:
        super().__init__(cell)
        if dropout_state_filter_visitor is not None and not callable(dropout_state_filter_visitor):
            raise TypeError("dropout_state_filter_visitor must be callable")
        self._state_filter = dropout_state_filter_visitor or _default_dropout_state_filter
        with get_default_graph().name_scope("DropoutWrapperInit"):
            self._input_keep_prob = _static_keep_prob(input_keep_prob, "input_keep_prob")
            self._state_keep_prob = _static_keep_prob(state_keep_prob, "state_keep_prob")
            self._output_keep_prob = _static_keep_prob(output_keep_prob, "output_keep_prob")
        self._variational_recurrent = bool(variational_recurrent)
        self._seed = seed
        self._noise: dict[str, Any] = {"input": None, "state": None, "output": None}
        if variational_recurrent:
            if dtype is None:
                raise ValueError("When variational_recurrent=True, dtype must be provided")

            def noise(kind: str) -> Callable[[int, Any], Tensor]:
                def make(i: int, size: Any) -> Tensor:
                    shape = [1] + TensorShape(size).as_list()
                    return random_ops.random_uniform(
                        shape, seed=self._gen_seed(kind, i), dtype=dtype
                    )

                return make

            if _should_drop(self._input_keep_prob):
                if input_size is None:
                    raise ValueError(
                        "When variational_recurrent=True and input_keep_prob < "
                        "1.0 or is unknown, input_size must be provided"
                    )
                self._noise["input"] = _enumerated_map(input_size, noise("input"))
            self._noise["state"] = _enumerated_map(cell.state_size, noise("state"))
            self._noise["output"] = _enumerated_map(cell.output_size, noise("output"))

    def _gen_seed(self, salt: str, index: int) -> int | None:
        if self._seed is None:
            return None
        digest = hashlib.md5(f"{self._seed}{salt}_{index}".encode()).hexdigest()
        return int(digest[:8], 16) & 0x7FFFFFFF

    def _drop_one(self, value: Tensor, kind: str, index: int, keep_prob: Any, noise: Any) -> Tensor:
        if noise is None:
            return nn_impl.dropout(value, keep_prob=keep_prob, seed=self._gen_seed(kind, index))
        # floor(keep + U[0, 1)) is 1 with probability keep; the same noise every step.
        mask = unary_ops.floor(keep_prob + noise)
        out = division_ops.realdiv(value, keep_prob) * mask
        out.set_shape(value.shape)
        return out

    def _drop(
        self, values: Any, kind: str, keep_prob: Any, keep_mask: list[bool] | None = None
    ) -> Any:
        """Drops every leaf of `values`, or those whose entry in `keep_mask` is True."""
        flat = nest.flatten(values)
        noise = self._noise[kind]
        flat_noise = nest.flatten(noise) if noise is not None else [None] * len(flat)
        flat_mask = keep_mask if keep_mask is not None else [True] * len(flat)
        out = [
            self._drop_one(v, kind, i, keep_prob, n) if m else v
            for i, (v, n, m) in enumerate(zip(flat, flat_noise, flat_mask))
        ]
        return nest.pack_sequence_as(values, out)

    def _state_mask(self, state: Any) -> list[bool]:
        """One bool per leaf of `state`: whether the filter lets it be dropped."""

        def visit(s: Any) -> list[bool]:
            r = self._state_filter(s)
            if isinstance(r, (bool, np.bool_)):
                if not nest.is_sequence(s):
                    return [bool(r)]
                if not r:
                    return [False] * len(nest.flatten(s))
                return [b for c in _children(s) for b in visit(c)]
            # a depth-1 structure of bools: each child dropped whole, or not at all
            return [bool(b) for b, c in zip(_children(r), _children(s)) for _ in nest.flatten(c)]

        return visit(state)

    def __call__(self, inputs: Any, state: Any, scope: Any = None) -> tuple[Any, Any]:
        if _should_drop(self._input_keep_prob):
            inputs = self._drop(inputs, "input", self._input_keep_prob)
        output, new_state = self._cell(inputs, state, scope=scope)
        if _should_drop(self._state_keep_prob):
            new_state = self._drop(
                new_state, "state", self._state_keep_prob, self._state_mask(new_state)
            )
        if _should_drop(self._output_keep_prob):
            output = self._drop(output, "output", self._output_keep_prob)
        return output, new_state


def _children(s: Any) -> list[Any]:
    return [s[k] for k in sorted(s)] if isinstance(s, dict) else list(s)


def _should_drop(p: Any) -> bool:
    return not isinstance(p, float) or p < 1


def _enumerated_map(structure: Any, fn: Callable[[int, Any], Any]) -> Any:
    # state sizes nest as tuples of ints; an LSTMStateTuple of ints is two leaves.
    leaves = nest.flatten(structure)
    return nest.pack_sequence_as(structure, [fn(i, s) for i, s in enumerate(leaves)])


class ResidualWrapper(_Wrapper):
    """Adds the cell's inputs to its outputs (a residual connection around the cell).

    Args:
        cell: the cell to wrap (its output must have the inputs' shape).
        residual_fn: fn(inputs, outputs) -> outputs (default: inputs + outputs, leaf by leaf).

    Raises:
        ValueError: (on call) inputs and outputs differ in structure or shape.
    """

    def __init__(self, cell: Any, residual_fn: Callable[[Any, Any], Any] | None = None) -> None:
        super().__init__(cell)
        self._residual_fn = residual_fn

    def __call__(self, inputs: Any, state: Any, scope: Any = None) -> tuple[Any, Any]:
        outputs, new_state = self._cell(inputs, state, scope=scope)

        def default_fn(inp: Any, out: Any) -> Any:
            nest.assert_same_structure(inp, out)

            def add(i: Any, o: Any) -> Tensor:
                i = convert_to_tensor(i)
                if not i.shape.is_compatible_with(o.shape):
                    raise ValueError(
                        f"ResidualWrapper: the cell's inputs {i.shape} and "
                        f"outputs {o.shape} must have the same shape."
                    )
                return i + o

            return nest.map_structure(add, inp, out)

        return (self._residual_fn or default_fn)(inputs, outputs), new_state


class DeviceWrapper(_Wrapper):
    """Runs the cell under `tf.device(device)` (flowzero runs every op on the CPU, so this
    only keeps TF1 code working).

    Args:
        cell: the cell to wrap.
        device: a device string or function, as for tf.device.
    """

    def __init__(self, cell: Any, device: Any) -> None:  # noqa: A002 - TF's name
        super().__init__(cell)
        self._device = device

    def zero_state(self, batch_size: Any, dtype: Any) -> Any:
        with (
            get_default_graph().name_scope(type(self).__name__ + "ZeroState"),
            device(self._device),
        ):
            return self._cell.zero_state(batch_size, dtype)

    def __call__(self, inputs: Any, state: Any, scope: Any = None) -> tuple[Any, Any]:
        with device(self._device):
            return self._cell(inputs, state, scope=scope)


__all__ = ["MultiRNNCell", "DropoutWrapper", "ResidualWrapper", "DeviceWrapper"]
