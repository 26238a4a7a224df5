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


class CancelledError(OpError):
    """An operation was cancelled."""

    error_code = CANCELLED


class UnknownError(OpError):
    """An unknown error."""

    error_code = UNKNOWN


class InvalidArgumentError(OpError, ValueError):
    """An op received an invalid argument."""

    error_code = INVALID_ARGUMENT


class DeadlineExceededError(OpError, TimeoutError):
    """A deadline expired."""

    error_code = DEADLINE_EXCEEDED


class NotFoundError(OpError, LookupError):
    """A requested entity was not found."""

    error_code = NOT_FOUND


class AlreadyExistsError(OpError, FileExistsError):
    """An entity already exists."""

    error_code = ALREADY_EXISTS


class PermissionDeniedError(OpError, PermissionError):
    """Permission denied."""

    error_code = PERMISSION_DENIED


class ResourceExhaustedError(OpError, MemoryError):
    """A resource was exhausted."""

    error_code = RESOURCE_EXHAUSTED


class FailedPreconditionError(OpError, RuntimeError):
    """The system is not in a state to run the op (e.g. an uninitialized variable)."""

    error_code = FAILED_PRECONDITION


class AbortedError(OpError, RuntimeError):
    """An operation was aborted."""

    error_code = ABORTED


class OutOfRangeError(OpError, IndexError):
    """Iterated past the end."""

    error_code = OUT_OF_RANGE


class UnimplementedError(OpError, NotImplementedError):
    """The op is not implemented."""

    error_code = UNIMPLEMENTED


class InternalError(OpError, RuntimeError):
    """An internal invariant broke."""

    error_code = INTERNAL


class UnavailableError(OpError, ConnectionError):
    """Service unavailable."""

    error_code = UNAVAILABLE


class DataLossError(OpError, OSError):
    """Unrecoverable data loss."""

    error_code = DATA_LOSS


class UnauthenticatedError(OpError, PermissionError):
    """Not authenticated."""

    error_code = UNAUTHENTICATED


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
