"""tf.gfile / tf.io.gfile: TF's file API on the local file system (TF1's CamelCase names and
TF 1.14+'s lowercase ones). Paths with a URL scheme (gs://, hdfs://) are refused clearly."""

from __future__ import annotations

import glob as _glob
import os
import shutil
from collections.abc import Iterator
from typing import IO, Any

from flowzero.framework import errors


def _local(path: Any) -> str:
    p = os.fspath(path)
    if isinstance(p, bytes):
        p = p.decode()
    if "://" in p and not p.startswith("file://"):
        raise errors.UnimplementedError(
            None,
            None,
            f"File system scheme of '{p}' not implemented: flowzero's gfile reads "
            "and writes local files only.",
        )
    return p[len("file://") :] if p.startswith("file://") else p


def _not_found(path: str) -> errors.NotFoundError:
    return errors.NotFoundError(None, None, f"{path}; No such file or directory")


class GFile:
    """A file object (`tf.gfile.GFile(name, mode)`), usable as a context manager."""

    def __init__(self, name: Any, mode: str = "r") -> None:
        self.name = _local(name)
        self.mode = mode
        try:
            self._f: IO[Any] = open(self.name, mode)  # noqa: SIM115 - closed by close()
        except FileNotFoundError:
            raise _not_found(self.name) from None

    def read(self, n: int = -1) -> Any:
        return self._f.read(n)

    def readline(self) -> Any:
        return self._f.readline()

    def readlines(self) -> list[Any]:
        return self._f.readlines()

    def write(self, data: Any) -> None:
        self._f.write(data)

    def flush(self) -> None:
        self._f.flush()

    def seek(self, offset: int, whence: int = 0) -> Any:
        return self._f.seek(offset, whence)

    def tell(self) -> int:
        return self._f.tell()

    def size(self) -> int:
        return os.path.getsize(self.name)

    def close(self) -> None:
        self._f.close()

    def __iter__(self) -> Iterator[Any]:
        return iter(self._f)

    def __enter__(self) -> GFile:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


Open = GFile
FastGFile = GFile


def exists(path: Any) -> bool:
    return os.path.exists(_local(path))


def isdir(path: Any) -> bool:
    return os.path.isdir(_local(path))


def listdir(path: Any) -> list[str]:
    p = _local(path)
    if not os.path.isdir(p):
        raise _not_found(p)
    return sorted(os.listdir(p))


def makedirs(path: Any) -> None:
    os.makedirs(_local(path), exist_ok=True)


def mkdir(path: Any) -> None:
    p = _local(path)
    try:
        os.mkdir(p)
    except FileExistsError:
        raise errors.AlreadyExistsError(None, None, f"{p}; File exists") from None
    except FileNotFoundError:
        raise _not_found(os.path.dirname(p)) from None


def glob(pattern: Any) -> list[str]:
    return sorted(_glob.glob(_local(pattern)))


def remove(path: Any) -> None:
    p = _local(path)
    try:
        os.remove(p)
    except FileNotFoundError:
        raise _not_found(p) from None


def rmtree(path: Any) -> None:
    p = _local(path)
    if not os.path.exists(p):
        raise _not_found(p)
    shutil.rmtree(p)


def copy(oldpath: Any, newpath: Any, overwrite: bool = False) -> None:
    src, dst = _local(oldpath), _local(newpath)
    if os.path.exists(dst) and not overwrite:
        raise errors.AlreadyExistsError(None, None, f"{dst}; File exists")
    if not os.path.exists(src):
        raise _not_found(src)
    shutil.copyfile(src, dst)


def rename(oldname: Any, newname: Any, overwrite: bool = False) -> None:
    src, dst = _local(oldname), _local(newname)
    if os.path.exists(dst) and not overwrite:
        raise errors.AlreadyExistsError(None, None, f"{dst}; File exists")
    if not os.path.exists(src):
        raise _not_found(src)
    os.replace(src, dst)


def walk(top: Any, topdown: bool = True, onerror: Any = None) -> Iterator[Any]:
    yield from os.walk(_local(top), topdown=topdown, onerror=onerror)


class _Stat:
    def __init__(self, st: os.stat_result) -> None:
        self.length = st.st_size
        self.mtime_nsec = st.st_mtime_ns
        self.is_directory = False


def stat(path: Any) -> _Stat:
    p = _local(path)
    try:
        s = _Stat(os.stat(p))
    except FileNotFoundError:
        raise _not_found(p) from None
    s.is_directory = os.path.isdir(p)
    return s


# TF 1.x's CamelCase names.
Exists = exists
IsDirectory = isdir
ListDirectory = listdir
MakeDirs = makedirs
MkDir = mkdir
Glob = glob
Remove = remove
DeleteRecursively = rmtree
Copy = copy
Rename = rename
Walk = walk
Stat = stat
