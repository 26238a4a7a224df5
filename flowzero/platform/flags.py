"""tf.flags / tf.app.flags: absl-style command-line flags for TF1 scripts.

    flags = tf.app.flags
    flags.DEFINE_string("data_dir", "/tmp/data", "Where the data is.")
    flags.DEFINE_integer("steps", 1000, "Training steps.")
    FLAGS = flags.FLAGS
    ...
    tf.app.run()          # parses sys.argv, then calls main(argv with the flags removed)

As in TF 1.x, reading a flag before tf.app.run parses the command line first (unknown
arguments are left for the program).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any


class Error(Exception):
    """A flag was defined twice, or a command-line value is invalid."""


class _FlagValues:
    """`FLAGS`: every defined flag as an attribute; `FLAGS(argv)` parses and returns the
    arguments that are not flags."""

    def __init__(self) -> None:
        object.__setattr__(self, "_defs", {})
        object.__setattr__(self, "_values", {})
        object.__setattr__(self, "_parsed", False)

    def _define(
        self,
        name: str,
        default: Any,
        help_text: str,
        parse: Callable[[str], Any],
        kind: str,
        **extra: Any,
    ) -> None:
        if name in self._defs:
            raise Error(f"flag --{name} is defined twice.")
        self._defs[name] = {
            "default": default,
            "help": help_text,
            "parse": parse,
            "kind": kind,
            **extra,
        }
        self._values[name] = default

    def _parser(self) -> argparse.ArgumentParser:
        p = argparse.ArgumentParser(add_help=True, allow_abbrev=False)
        for name, d in self._defs.items():
            p.add_argument(f"--{name}", default=None, type=str, help=d["help"])
        return p

    def __call__(self, argv: Sequence[str], known_only: bool = True) -> list[str]:
        """Parses `argv` (argv[0] is the program); returns argv[0] and the unparsed rest."""
        args = list(argv)
        # absl's boolean forms: --flag and --noflag (never consuming the next argument).
        bools = {n for n, d in self._defs.items() if d["kind"] == "bool"}
        tokens = []
        for a in args[1:]:
            if a.startswith("--") and a[2:] in bools:
                a = f"{a}=true"
            elif a.startswith("--no") and a[4:] in bools:
                a = f"--{a[4:]}=false"
            tokens.append(a)
        ns, rest = self._parser().parse_known_args(tokens)
        for name, text in vars(ns).items():
            if text is None:
                continue
            d = self._defs[name]
            try:
                self._values[name] = d["parse"](text)
            except (ValueError, TypeError) as e:
                raise Error(f"flag --{name}={text!r}: {e}") from None
        object.__setattr__(self, "_parsed", True)
        if not known_only and rest:
            raise Error(f"unknown command line flag(s): {' '.join(rest)}")
        return args[:1] + rest

    def __getattr__(self, name: str) -> Any:
        if name == "__flags":
            # NOTE: absl's FlagValues keeps its name -> Flag dict here, and TF1 scripts print
            # their settings with `for attr, value in sorted(FLAGS.__flags.items())` (module
            # level, so the name is not mangled).
            return {n: _Flag(n, d, self._values[n]) for n, d in self._defs.items()}
        if name.startswith("__"):
            raise AttributeError(name)
        if name not in self._defs:
            raise AttributeError(
                f"flag --{name} is not defined (define it with "
                f"tf.app.flags.DEFINE_*('{name}', ...))."
            )
        if not self._parsed:
            self(sys.argv)
        return self._values[name]

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in self._defs:
            raise AttributeError(f"flag --{name} is not defined.")
        self._values[name] = value

    def __contains__(self, name: str) -> bool:
        return name in self._defs

    def is_parsed(self) -> bool:
        return bool(self._parsed)

    def mark_as_parsed(self) -> None:
        object.__setattr__(self, "_parsed", True)

    def flag_values_dict(self) -> dict[str, Any]:
        return dict(self._values)

    def reset_for_tests(self) -> None:
        """Forgets every definition (tests define the same flags more than once)."""
        self._defs.clear()
        self._values.clear()
        object.__setattr__(self, "_parsed", False)


class _Flag:
    """One flag as absl's `FLAGS.__flags` holds it: name, default, help, value."""

    def __init__(self, name: str, d: dict[str, Any], value: Any) -> None:
        self.name, self.default, self.help, self.value = name, d["default"], d["help"], value
        self.flag_type = d["kind"]

    def __repr__(self) -> str:
        return f"<Flag --{self.name}={self.value!r}>"


FLAGS = _FlagValues()


def _bool(text: str) -> bool:
    t = text.strip().lower()
    if t in ("1", "true", "t", "yes", "y"):
        return True
    if t in ("0", "false", "f", "no", "n"):
        return False
    raise ValueError(f"expected a boolean, got {text!r}")


def DEFINE_string(name: str, default: Any, help: str = "", **kw: Any) -> None:
    FLAGS._define(name, default, help, str, "string")


def DEFINE_integer(
    name: str,
    default: Any,
    help: str = "",
    lower_bound: Any = None,
    upper_bound: Any = None,
    **kw: Any,
) -> None:
    def parse(text: str) -> int:
        v = int(text)
        if (lower_bound is not None and v < lower_bound) or (
            upper_bound is not None and v > upper_bound
        ):
            raise ValueError(f"{v} is outside [{lower_bound}, {upper_bound}]")
        return v

    FLAGS._define(name, default, help, parse, "integer")


def DEFINE_float(name: str, default: Any, help: str = "", **kw: Any) -> None:
    FLAGS._define(name, default, help, float, "float")


def DEFINE_boolean(name: str, default: Any, help: str = "", **kw: Any) -> None:
    FLAGS._define(name, default, help, _bool, "bool")


DEFINE_bool = DEFINE_boolean


def DEFINE_list(name: str, default: Any, help: str = "", **kw: Any) -> None:
    FLAGS._define(name, default, help, lambda t: [x for x in t.split(",") if x], "list")


def DEFINE_enum(
    name: str,
    default: Any,
    enum_values: Sequence[str],
    help: str = "",
    **kw: Any,
) -> None:
    def parse(text: str) -> str:
        if text not in enum_values:
            raise ValueError(f"expected one of {list(enum_values)}")
        return text

    FLAGS._define(name, default, help, parse, "enum")
