"""tf.contrib.framework: arg_scope (default arguments for a set of layer functions within a
`with` block) and the variable helpers TF1 programs take from there.

Example:
    >>> from flowzero.contrib.framework import arg_scope
    >>> from flowzero.contrib.layers import fully_connected
    >>> x = tf.placeholder(tf.float32, [None, 4])
    >>> with arg_scope([fully_connected], activation_fn=tf.nn.tanh):
    ...     h = fully_connected(x, 64)             # activation_fn=tf.nn.tanh
    ...     y = fully_connected(h, 10, activation_fn=None)   # an explicit argument wins
    >>> h.op.type, y.op.type
    ('Tanh', 'BiasAdd')
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any

from flowzero.framework.graph import GraphKeys, get_default_graph
from flowzero.train.training_util import get_global_step, get_or_create_global_step

# The stack of scopes, each {function key: {argument: value}}; the innermost is last.
_ARG_STACK: list[dict[Any, dict[str, Any]]] = [{}]
_DECORATED: set[Any] = set()


def arg_scope_func_key(op: Any) -> Any:
    """The key a function's defaults are stored under in an arg_scope."""
    return getattr(op, "_key_op", op)


def current_arg_scope() -> dict[Any, dict[str, Any]]:
    """The innermost arg_scope: {function key: {argument: value}} (a dict that arg_scope
    accepts back to re-enter it)."""
    return _ARG_STACK[-1]


def has_arg_scope(func: Any) -> bool:
    """Whether `func` was decorated with add_arg_scope."""
    return arg_scope_func_key(func) in _DECORATED


def add_arg_scope(func: Callable[..., Any]) -> Callable[..., Any]:
    """Decorates `func` so that calls take their missing keyword arguments from the enclosing
    arg_scope blocks that list it (explicit arguments win)."""

    @functools.wraps(func)
    def func_with_args(*args: Any, **kwargs: Any) -> Any:
        defaults = current_arg_scope().get(key)
        if defaults:
            kwargs = {**defaults, **kwargs}
        return func(*args, **kwargs)

    key = arg_scope_func_key(func)
    _DECORATED.add(key)
    func_with_args._key_op = key  # type: ignore[attr-defined]
    return func_with_args


def arg_scoped_arguments(func: Any) -> list[str]:
    """The argument names of `func` (a function decorated with add_arg_scope)."""
    import inspect

    fn = getattr(func, "__wrapped__", func)
    return list(inspect.signature(fn).parameters)


@contextlib.contextmanager
def arg_scope(list_ops_or_scope: Any, **kwargs: Any) -> Iterator[dict[Any, dict[str, Any]]]:
    """Sets default keyword arguments for the functions listed (each decorated with
    add_arg_scope) inside the block; nested scopes add to and override the outer ones.

    Args:
        list_ops_or_scope: a list or tuple of functions, or a scope dict yielded by an earlier
            arg_scope (to re-enter it; then no kwargs).
        **kwargs: the default arguments.

    Yields:
        The scope now in force (a dict).

    Raises:
        ValueError: a scope dict with kwargs, or a function not decorated with add_arg_scope.
        TypeError: list_ops_or_scope is neither a list/tuple nor a dict.
    """
    if isinstance(list_ops_or_scope, dict):
        if kwargs:
            raise ValueError(
                "When attempting to re-use a scope by suppling a dictionary, kwargs must be empty."
            )
        scope = dict(list_ops_or_scope)
    elif isinstance(list_ops_or_scope, (list, tuple)):
        scope = dict(current_arg_scope())
        for op in list_ops_or_scope:
            if not has_arg_scope(op):
                raise ValueError(
                    f"{getattr(op, '__name__', op)} is not decorated with @add_arg_scope"
                )
            key = arg_scope_func_key(op)
            scope[key] = {**scope.get(key, {}), **kwargs}
    else:
        raise TypeError(
            "list_ops_or_scope must either be a list/tuple or reused scope (i.e. dict); got "
            f"{type(list_ops_or_scope).__name__}."
        )
    _ARG_STACK.append(scope)
    try:
        yield scope
    finally:
        _ARG_STACK.pop()


def get_variables(
    scope: Any = None, suffix: str | None = None, collection: str = GraphKeys.GLOBAL_VARIABLES
) -> list[Any]:
    """The variables of `collection` whose names start with `scope` (a name or a
    VariableScope) and, if given, end with `suffix`."""
    if scope is not None and not isinstance(scope, str):
        scope = scope.name
    out = get_default_graph().get_collection(collection, scope)
    if suffix is not None:
        out = [v for v in out if v.op.name.endswith(suffix)]
    return out


def get_model_variables(scope: Any = None, suffix: str | None = None) -> list[Any]:
    """get_variables over tf.GraphKeys.MODEL_VARIABLES."""
    return get_variables(scope, suffix, GraphKeys.MODEL_VARIABLES)


def get_trainable_variables(scope: Any = None, suffix: str | None = None) -> list[Any]:
    """get_variables over tf.GraphKeys.TRAINABLE_VARIABLES."""
    return get_variables(scope, suffix, GraphKeys.TRAINABLE_VARIABLES)


def get_variables_by_name(given_name: str, scope: Any = None) -> list[Any]:
    """The variables whose last name part is `given_name`."""
    return get_variables(scope=scope, suffix="/" + given_name) + [
        v for v in get_variables(scope=scope) if v.op.name == given_name
    ]


__all__ = [
    "arg_scope",
    "add_arg_scope",
    "has_arg_scope",
    "arg_scoped_arguments",
    "current_arg_scope",
    "arg_scope_func_key",
    "get_variables",
    "get_model_variables",
    "get_trainable_variables",
    "get_variables_by_name",
    "get_global_step",
    "get_or_create_global_step",
]
