"""TF1's variable-sharing and scoping helpers over variable_scope / get_variable:
make_template (a function whose variables are created on the first call and reused after),
get_local_variable, moving_average_variables, no_regularizer, init_scope, container,
colocate_with, and TF 0.x's op_scope / variable_op_scope."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Any

from flowzero.framework.graph import get_default_graph, name_scope
from flowzero.variables import (
    get_variable,
    global_variables,
    trainable_variables,
    variable_scope,
)


class Template:
    """A function that creates its variables (with tf.get_variable) on its first call, inside
    its own variable scope, and reuses the same variables on every later call."""

    def __init__(
        self,
        name: str,
        func: Any,
        create_scope_now: bool = False,
        unique_name: Any = None,
        custom_getter: Any = None,
    ) -> None:
        self._name = name
        self._func = func
        self._unique_name = unique_name
        self._custom_getter = custom_getter
        self._scope: Any = None
        self._created = False
        if create_scope_now:
            with self._open(None) as vs:
                self._scope = vs

    def _open(self, reuse: Any) -> Any:
        if self._scope is not None:
            return variable_scope(self._scope, reuse=reuse, custom_getter=self._custom_getter)
        return variable_scope(
            self._unique_name, default_name=self._name, custom_getter=self._custom_getter
        )

    @property
    def name(self) -> str:
        return self._name

    @property
    def variable_scope(self) -> Any:
        return self._scope

    @property
    def variable_scope_name(self) -> str | None:
        return None if self._scope is None else self._scope.name

    @property
    def variables_created(self) -> bool:
        return self._created

    def _vars(self, fn: Any) -> list[Any]:
        if self._scope is None:
            return []
        return fn(scope=self._scope.name + "/")

    @property
    def variables(self) -> list[Any]:
        return self._vars(global_variables)

    @property
    def global_variables(self) -> list[Any]:
        return self._vars(global_variables)

    @property
    def trainable_variables(self) -> list[Any]:
        return self._vars(trainable_variables)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not self._created:
            with self._open(None) as vs:
                self._scope = vs
                result = self._func(*args, **kwargs)
            self._created = True
            return result
        before = len(trainable_variables())
        with self._open(True):
            result = self._func(*args, **kwargs)
        if len(trainable_variables()) != before:
            raise ValueError(
                f"Trainable variable created when calling a template after the first time "
                f"(template '{self._name}'); a template must create all its variables on its "
                "first call."
            )
        return result


def make_template(
    name_: str,
    func_: Any,
    create_scope_now_: bool = False,
    unique_name_: Any = None,
    custom_getter_: Any = None,
    **kwargs: Any,
) -> Template:
    """Wraps `func_` so that its tf.get_variable calls create variables on the first call (in
    a variable scope named uniquely after `name_`) and share them on every later call;
    `kwargs` are bound to func_ as with functools.partial.

    Raises:
        ValueError: (on a later call) func_ created a new trainable variable.

    Example:
        >>> x, y = tf.constant(1.0), tf.constant(2.0)
        >>> scale = tf.make_template("scale", lambda x: x * tf.get_variable("w", []))
        >>> a, b = scale(x), scale(y)          # one variable scale/w, used twice
        >>> [v.name for v in tf.global_variables()]
        ['scale/w:0']
    """
    if kwargs:
        func_ = functools.partial(func_, **kwargs)
    return Template(name_, func_, create_scope_now_, unique_name_, custom_getter_)


def get_local_variable(
    name: str,
    shape: Any = None,
    dtype: Any = None,
    initializer: Any = None,
    regularizer: Any = None,
    trainable: bool = False,
    collections: Any = None,
    **kwargs: Any,
) -> Any:
    """tf.get_variable for a local variable: in the LOCAL_VARIABLES collection (not global,
    so Saver and global_variables_initializer skip it), not trainable."""
    cols = list(collections or []) + ["local_variables"]
    return get_variable(
        name,
        shape=shape,
        dtype=dtype,
        initializer=initializer,
        regularizer=regularizer,
        trainable=trainable,
        collections=cols,
        **kwargs,
    )


def moving_average_variables(scope: str | None = None) -> list[Any]:
    """The variables in the MOVING_AVERAGE_VARIABLES collection (those an
    ExponentialMovingAverage.apply() was given)."""
    return get_default_graph().get_collection("moving_average_variables", scope)


def no_regularizer(_: Any) -> None:
    """A regularizer that adds nothing: give it to get_variable (or a scope) to turn off the
    scope's default regularizer for one variable."""
    return None


@contextlib.contextmanager
def init_scope() -> Iterator[None]:
    """A context for building initialisation ops: outside any control-flow body and free of
    the enclosing control dependencies (TF also lifts it out of function graphs; flowzero has
    none to lift out of). The name scope is kept."""
    g = get_default_graph()
    outside = getattr(g, "_outside_bodies", None)
    with outside() if outside is not None else contextlib.nullcontext():
        with g.control_dependencies(None):
            yield


@contextlib.contextmanager
def container(container_name: str) -> Iterator[str]:
    """Accepted for TF1 code: TF puts stateful ops built inside into a named resource
    container (cleared with Session.reset); flowzero keeps each Session's variables in that
    Session, so the name changes nothing."""
    yield container_name


@contextlib.contextmanager
def colocate_with(op: Any, ignore_existing: bool = False) -> Iterator[None]:
    """Accepted for TF1 code: places the ops built inside on `op`'s device. flowzero runs
    every op on the CPU, so this changes nothing."""
    yield


@contextlib.contextmanager
def op_scope(values: Any, name: str, default_name: str | None = None) -> Iterator[str]:
    """TF 0.x's name_scope(name, default_name, values) with the arguments in the old order."""
    with name_scope(name, default_name, values) as scope:
        yield scope


@contextlib.contextmanager
def variable_op_scope(
    values: Any,
    name_or_scope: Any,
    default_name: str | None = None,
    initializer: Any = None,
    regularizer: Any = None,
    caching_device: Any = None,
    partitioner: Any = None,
    custom_getter: Any = None,
    reuse: Any = None,
    dtype: Any = None,
    use_resource: Any = None,
    constraint: Any = None,
) -> Iterator[Any]:
    """TF 0.x's variable_scope(name_or_scope, default_name, values, ...) with the arguments
    in the old order."""
    with variable_scope(
        name_or_scope,
        default_name=default_name,
        values=values,
        initializer=initializer,
        regularizer=regularizer,
        custom_getter=custom_getter,
        reuse=reuse,
        dtype=dtype,
    ) as vs:
        yield vs


__all__ = [
    "make_template",
    "get_local_variable",
    "moving_average_variables",
    "no_regularizer",
    "init_scope",
    "container",
    "colocate_with",
    "op_scope",
    "variable_op_scope",
]
