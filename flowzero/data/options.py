"""tf.data.Options and its parts (ThreadingOptions, OptimizationOptions): settings a dataset
carries (`dataset.with_options(options)`, read back by `dataset.options()`).

flowzero produces elements on demand in the session's thread, so no option changes what a
pipeline yields or how fast: they are recorded, type-checked and merged as TF's are, so code
that sets them runs unchanged.
"""

from __future__ import annotations

from typing import Any


class _OptionsBase:
    """Typed, initially unset (None) attributes; setting an unknown one is an AttributeError."""

    # name -> (type, doc); a type that is an _OptionsBase subclass is a nested group (made
    # on first read), or another name of the same option (an alias).
    _FIELDS: dict[str, Any] = {}
    _ALIASES: dict[str, str] = {}

    def __init__(self) -> None:
        object.__setattr__(self, "_values", {})

    def _field(self, name: str) -> str:
        name = self._ALIASES.get(name, name)
        if name not in self._FIELDS:
            raise AttributeError(f"Cannot set the property {name} on {type(self).__name__}.")
        return name

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        key = self._field(name)
        typ = self._FIELDS[key][0]
        values = self.__dict__["_values"]
        if key not in values and isinstance(typ, type) and issubclass(typ, _OptionsBase):
            values[key] = typ()
        return values.get(key)

    def __setattr__(self, name: str, value: Any) -> None:
        key = self._field(name)
        typ = self._FIELDS[key][0]
        if value is not None:
            ok = isinstance(value, typ) and not (typ is int and isinstance(value, bool))
            if not ok:
                raise TypeError(
                    f'Property "{name}" must be of type {typ}, got: {value!r} (type: {type(value)})'
                )
        self._values[key] = value

    def __eq__(self, other: Any) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, k) == getattr(other, k) for k in self._FIELDS)

    def __ne__(self, other: Any) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    __hash__ = None  # type: ignore[assignment]  # mutable, as TF's

    def _merged(self, other: _OptionsBase) -> _OptionsBase:
        out = type(self)()
        for k in self._FIELDS:
            mine, theirs = getattr(self, k), getattr(other, k)
            if isinstance(mine, _OptionsBase):
                out._values[k] = mine._merged(theirs)
            else:  # a value the other sets wins
                out._values[k] = mine if theirs is None else theirs
        return out

    def __repr__(self) -> str:
        set_ = {k: v for k, v in self._values.items() if v is not None}
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in set_.items())})"


class ThreadingOptions(_OptionsBase):
    """`tf.data.ThreadingOptions`: the thread pool a dataset would use (recorded only)."""

    _FIELDS = {
        "max_intra_op_parallelism": (int, "the most threads one op may use"),
        "private_threadpool_size": (int, "a thread pool of this size for the dataset"),
    }


class OptimizationOptions(_OptionsBase):
    """`tf.data.experimental.OptimizationOptions`: graph rewrites TF may apply to a
    pipeline (recorded only: flowzero runs the pipeline as written)."""

    _FIELDS = {
        name: (bool, name)
        for name in (
            "apply_default_optimizations",
            "filter_fusion",
            "map_and_batch_fusion",
            "map_and_filter_fusion",
            "map_fusion",
            "map_parallelization",
            "noop_elimination",
            "parallel_batch",
            "shuffle_and_repeat_fusion",
        )
    }


class Options(_OptionsBase):
    """`tf.data.Options`: settings for a dataset, applied with `dataset.with_options(...)`.

    Example:
        >>> options = tf.data.Options()
        >>> options.experimental_deterministic = False
        >>> options.experimental_threading.private_threadpool_size = 4
        >>> ds = tf.data.Dataset.range(3).with_options(options)
        >>> print(ds.options().experimental_threading.private_threadpool_size)
        4
    """

    _FIELDS = {
        "deterministic": (bool, "whether elements come in a deterministic order"),
        "threading": (ThreadingOptions, "thread pools"),
        "experimental_optimization": (OptimizationOptions, "graph rewrites"),
        "experimental_slack": (bool, "slack in the final prefetch"),
    }
    _ALIASES = {
        "experimental_deterministic": "deterministic",
        "experimental_threading": "threading",
    }

    def merge(self, options: Options) -> Options:
        """A new Options: these, with every option that `options` sets taking its value."""
        if not isinstance(options, Options):
            raise TypeError(f"Options.merge: expected a tf.data.Options; got {options!r}.")
        return self._merged(options)  # type: ignore[return-value]


__all__ = ["OptimizationOptions", "Options", "ThreadingOptions"]
