"""Shared by the subcommands: argument types, the model flags, notes, atomic JSON files."""

from __future__ import annotations

import argparse
import contextlib
import inspect
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

from flowzero.book.zoo import MODELS, OPTIMIZERS, check_data_spec, model_spec

EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a Ctrl-C'd process
DEFAULT_MODEL = "two_layer_net"  # the README's main job


class CLIError(Exception):
    """A user-facing failure: printed as one line, exit status `code`, never a traceback."""

    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.code = code


def note(message: str) -> None:
    """One line on stderr (optional packages that are missing, where something went, ...)."""
    print(f"flowzero: {message}", file=sys.stderr, flush=True)


def say(message: str = "", quiet: bool = False) -> None:
    if not quiet:
        print(message, flush=True)


# ---------------------------------------------------------------------------------------------
# Argument types (raise ArgumentTypeError: argparse turns it into "argument --x: ..." + exit 2)


def _number(cast: type, minimum: float, strict: bool, what: str) -> Any:
    """An argparse type: `cast(text)`, finite, and > minimum (strict) or >= minimum."""

    def parse(text: str) -> Any:
        try:
            value = cast(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}; got {text!r}") from None
        ok = value > minimum if strict else value >= minimum
        if not ok or value == float("inf"):
            raise argparse.ArgumentTypeError(f"expected {what}; got {text}")
        return value

    parse.__name__ = what.replace(" ", "_")  # argparse names the type in some messages
    return parse


positive_int = _number(int, 0, True, "a positive integer")
non_negative_int = _number(int, 0, False, "an integer >= 0")
positive_float = _number(float, 0.0, True, "a positive number")
non_negative_float = _number(float, 0.0, False, "a number >= 0")


def ratio(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1); got {text!r}") from None
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"expected a number in [0, 1); got {text}")
    return value


def data_spec(text: str) -> str:
    try:
        return check_data_spec(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def model_name(text: str) -> str:
    try:
        model_spec(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def weight_init(text: str) -> float | str:
    """A std (a positive number) or 'he' / 'xavier' (also the book's 'relu' / 'sigmoid')."""
    if text.lower() in ("he", "relu", "xavier", "sigmoid"):
        return text.lower()
    try:
        return positive_float(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected a positive std, 'he' or 'xavier'; got {text!r}"
        ) from None


# ---------------------------------------------------------------------------------------------
# The model flags (train, gradcheck and graph share them)


def add_model_arguments(
    p: argparse.ArgumentParser, *, required: bool = False, training_flags: bool = True
) -> None:
    p.add_argument(
        "--model",
        type=model_name,
        required=required,
        default=None if required else DEFAULT_MODEL,
        metavar="NAME",
        help=f"one of: {', '.join(MODELS)}" + ("" if required else f" (default: {DEFAULT_MODEL})"),
    )
    p.add_argument(
        "--hidden",
        type=positive_int,
        nargs="+",
        metavar="N",
        help="hidden layer width(s): one for two_layer_net / the conv nets, one per "
        "layer for the multi_layer nets",
    )
    p.add_argument(
        "--weight-init",
        type=weight_init,
        metavar="STD|he|xavier",
        help="initial weight scale: a std, or 'he' / 'xavier' (multi_layer nets)",
    )
    p.add_argument(
        "--weight-decay",
        type=non_negative_float,
        metavar="LAMBDA",
        help="the book's L2 weight decay lambda (multi_layer nets)",
    )
    p.add_argument(
        "--batchnorm",
        action="store_true",
        help="batch normalization after each hidden affine layer (multi_layer_net_extend)",
    )
    if training_flags:
        p.add_argument(
            "--dropout",
            type=ratio,
            metavar="RATIO",
            help="the book's dropout, RATIO of units dropped in training "
            "(multi_layer_net_extend, deep_conv_net)",
        )


_OPTION_FLAGS = {
    "weight_init": "--weight-init",
    "weight_decay": "--weight-decay",
    "dropout": "--dropout",
    "batchnorm": "--batchnorm",
}


def _models_with(option: str) -> str:
    return ", ".join(n for n, s in MODELS.items() if option in s.options)


def model_kwargs(args: argparse.Namespace, parser: argparse.ArgumentParser) -> dict[str, Any]:
    """Constructor arguments for `args.model` from the model flags, with the hidden width(s)
    and the seed always spelled out (a run's run.json must rebuild the same graph).

    Errors go through `parser.error` (exit status 2).
    """
    spec = MODELS[args.model]
    given = {opt: getattr(args, opt, None) for opt in _OPTION_FLAGS}
    given["batchnorm"] = given["batchnorm"] or None
    for opt, value in given.items():
        if value is not None and opt not in spec.options:
            parser.error(
                f"{_OPTION_FLAGS[opt]} is not supported by {args.model} "
                f"(models that take it: {_models_with(opt)})"
            )
    kwargs: dict[str, Any] = {}
    default_hidden = inspect.signature(spec.cls).parameters[spec.hidden].default
    if spec.hidden == "hidden_size":
        if args.hidden and len(args.hidden) != 1:
            parser.error(
                f"--hidden: {args.model} has one hidden layer; give one width, got "
                f"{len(args.hidden)}"
            )
        kwargs["hidden_size"] = args.hidden[0] if args.hidden else default_hidden
    else:
        kwargs["hidden_size_list"] = list(args.hidden or default_hidden)
    init = given["weight_init"]
    if init is not None:
        if isinstance(init, str) and spec.hidden != "hidden_size_list":
            parser.error(f"--weight-init: {args.model} takes a number (a std), not {init!r}")
        kwargs["weight_init_std"] = init
    if given["weight_decay"] is not None:
        kwargs["weight_decay_lambda"] = given["weight_decay"]
    if given["dropout"] is not None:
        if args.model == "deep_conv_net":
            kwargs["dropout_ratio"] = given["dropout"]
        else:
            kwargs["use_dropout"] = True
            kwargs["dropout_ration"] = given["dropout"]
    if given["batchnorm"]:
        kwargs["use_batchnorm"] = True
    kwargs["seed"] = args.seed
    return kwargs


def optimizer_names() -> list[str]:
    return list(OPTIMIZERS)


# ---------------------------------------------------------------------------------------------
# BLAS threads


def add_threads_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--threads",
        type=positive_int,
        default=None,
        metavar="N",
        help="BLAS threads (default: 1: the book's networks multiply small "
        "matrices, and extra threads mostly wait on each other; measured "
        "2-5x slower with 2 threads on a busy 2-core machine)",
    )


@contextlib.contextmanager
def blas_threads(n: int | None) -> Iterator[None]:
    """Limits NumPy's BLAS to `n` threads (None: 1) while the command runs, through the
    optional threadpoolctl package; without it, says so only when `n` was asked for."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        if n is not None:
            note(
                "--threads needs the threadpoolctl package (pip install threadpoolctl); "
                "or set OPENBLAS_NUM_THREADS / OMP_NUM_THREADS"
            )
        yield
        return
    with threadpool_limits(limits=n or 1, user_api="blas"):
        yield


# ---------------------------------------------------------------------------------------------
# Files


def ensure_dir(path: str, parser: argparse.ArgumentParser, flag: str = "--out") -> str:
    """Creates directory `path` (and its parents); a path we cannot use is a usage error."""
    if os.path.exists(path) and not os.path.isdir(path):
        parser.error(f"{flag}: {path!r} exists and is not a directory")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        parser.error(f"{flag}: cannot create directory {path!r}: {exc.strerror or exc}")
    if not os.access(path, os.W_OK | os.X_OK):
        parser.error(f"{flag}: directory {path!r} is not writable")
    return path


def write_json(path: str, obj: Any) -> str:
    """Writes `obj` as JSON atomically: a temporary file in the same directory, fsync, rename.
    A reader (or a crash) never sees half a file."""
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=d)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's 0600 -> what open() would have made
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(obj, f, indent=1, allow_nan=True)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def read_json(path: str) -> Any:
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def data_line(source: Any) -> str:
    """One short line: which MNIST, how big, and where from when it is not the bundled one
    (the commands' JSON files keep the whole description, with the reason)."""
    line = f"MNIST {source.name} ({source.n_train} train / {source.n_test} test"
    if source.name == "subset":
        return line + ", bundled; --data full for all 70000)"
    return line + f") from {source.location}"
