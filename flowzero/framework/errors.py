"""TF's error classes (`tf.errors`), each also a subclass of the fitting builtin exception.

`except ValueError` catches an InvalidArgumentError, `except LookupError` a NotFoundError, and so
on, so user code written against either family works.
"""

from __future__ import annotations

from typing import Any

OK = 0
CANCELLED = 1
UNKNOWN = 2
INVALID_ARGUMENT = 3
DEADLINE_EXCEEDED = 4
NOT_FOUND = 5
ALREADY_EXISTS = 6
PERMISSION_DENIED = 7
RESOURCE_EXHAUSTED = 8
FAILED_PRECONDITION = 9
ABORTED = 10
OUT_OF_RANGE = 11
UNIMPLEMENTED = 12
INTERNAL = 13
UNAVAILABLE = 14
DATA_LOSS = 15
UNAUTHENTICATED = 16


class OpError(Exception):
    """An error raised while running (or building) an op; `.op` names the operation."""

    error_code = UNKNOWN

    def __init__(self, node_def: Any, op: Any, message: str, *args: Any) -> None:
        super().__init__(message)
        self.node_def = node_def
        self.op = op
        self.message = message

    def __str__(self) -> str:
        return self.message


def _make(name: str, code: int, builtin: type[BaseException] | None, doc: str) -> type[OpError]:
    bases: tuple[type, ...] = (OpError,) if builtin is None else (OpError, builtin)
    cls = type(name, bases, {"error_code": code, "__doc__": doc, "__module__": __name__})
    return cls


CancelledError = _make("CancelledError", CANCELLED, None, "An operation was cancelled.")
UnknownError = _make("UnknownError", UNKNOWN, None, "An unknown error.")
InvalidArgumentError = _make(
    "InvalidArgumentError", INVALID_ARGUMENT, ValueError, "An op received an invalid argument."
)
DeadlineExceededError = _make(
    "DeadlineExceededError", DEADLINE_EXCEEDED, TimeoutError, "A deadline expired."
)
NotFoundError = _make("NotFoundError", NOT_FOUND, LookupError, "A requested entity was not found.")
AlreadyExistsError = _make(
    "AlreadyExistsError", ALREADY_EXISTS, FileExistsError, "An entity already exists."
)
PermissionDeniedError = _make(
    "PermissionDeniedError", PERMISSION_DENIED, PermissionError, "Permission denied."
)
ResourceExhaustedError = _make(
    "ResourceExhaustedError", RESOURCE_EXHAUSTED, MemoryError, "A resource was exhausted."
)
FailedPreconditionError = _make(
    "FailedPreconditionError",
    FAILED_PRECONDITION,
    RuntimeError,
    "The system is not in a state to run the op (e.g. an uninitialized variable).",
)
AbortedError = _make("AbortedError", ABORTED, RuntimeError, "An operation was aborted.")
OutOfRangeError = _make("OutOfRangeError", OUT_OF_RANGE, IndexError, "Iterated past the end.")
UnimplementedError = _make(
    "UnimplementedError", UNIMPLEMENTED, NotImplementedError, "The op is not implemented."
)
InternalError = _make("InternalError", INTERNAL, RuntimeError, "An internal invariant broke.")
UnavailableError = _make("UnavailableError", UNAVAILABLE, ConnectionError, "Service unavailable.")
DataLossError = _make("DataLossError", DATA_LOSS, OSError, "Unrecoverable data loss.")
UnauthenticatedError = _make(
    "UnauthenticatedError", UNAUTHENTICATED, PermissionError, "Not authenticated."
)


class LookupGradientError(LookupError):
    """An op has no registered gradient and is not marked non-differentiable."""


_BY_CODE = {
    cls.error_code: cls
    for cls in (
        CancelledError,
        UnknownError,
        InvalidArgumentError,
        DeadlineExceededError,
        NotFoundError,
        AlreadyExistsError,
        PermissionDeniedError,
        ResourceExhaustedError,
        FailedPreconditionError,
        AbortedError,
        OutOfRangeError,
        UnimplementedError,
        InternalError,
        UnavailableError,
        DataLossError,
        UnauthenticatedError,
    )
}


def exception_type_from_error_code(error_code: int) -> type[OpError]:
    return _BY_CODE[error_code]


def error_code_from_exception_type(cls: type[OpError]) -> int:
    return cls.error_code
