"""Hashing strings into buckets: tf.string_to_hash_bucket_fast (FarmHash's Fingerprint64),
tf.string_to_hash_bucket (TF's 64-bit MurmurHash variant) and tf.string_to_hash_bucket_strong
(SipHash-2-4 under a 128-bit key), each bucket = hash mod num_buckets, the same numbers as
TensorFlow's (tests/ops/test_string_ops_tf.py checks them)."""

from __future__ import annotations

import struct
from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op
from flowzero.framework.registry import TensorSpec, register_op, spec
from flowzero.ops.common import _graph_for
from flowzero.ops.string_ops import _map, _string_input, _StringOp

_M = (1 << 64) - 1
_K0 = 0xC3A5C85C97CB3127
_K1 = 0xB492B66FBE98F273
_K2 = 0x9AE16A3B2F90404F


def _f64(s: bytes, i: int) -> int:
    return struct.unpack_from("<Q", s, i)[0]


def _f32(s: bytes, i: int) -> int:
    return struct.unpack_from("<I", s, i)[0]


def _rot(v: int, k: int) -> int:
    return ((v >> k) | (v << (64 - k))) & _M if k else v


def _smix(v: int) -> int:
    return v ^ (v >> 47)


def _h16(u: int, v: int, mul: int) -> int:
    a = ((u ^ v) * mul) & _M
    a ^= a >> 47
    b = ((v ^ a) * mul) & _M
    b ^= b >> 47
    return (b * mul) & _M


def _len0to16(s: bytes) -> int:
    n = len(s)
    if n >= 8:
        mul = _K2 + n * 2
        a = (_f64(s, 0) + _K2) & _M
        b = _f64(s, n - 8)
        c = (_rot(b, 37) * mul + a) & _M
        d = ((_rot(a, 25) + b) * mul) & _M
        return _h16(c, d, mul)
    if n >= 4:
        mul = _K2 + n * 2
        return _h16((n + (_f32(s, 0) << 3)) & _M, _f32(s, n - 4), mul)
    if n > 0:
        y = s[0] + (s[n >> 1] << 8)
        z = n + (s[n - 1] << 2)
        return (_smix(((y * _K2) ^ (z * _K0)) & _M) * _K2) & _M
    return _K2


def _len17to32(s: bytes) -> int:
    n = len(s)
    mul = _K2 + n * 2
    a = (_f64(s, 0) * _K1) & _M
    b = _f64(s, 8)
    c = (_f64(s, n - 8) * mul) & _M
    d = (_f64(s, n - 16) * _K2) & _M
    return _h16(
        (_rot((a + b) & _M, 43) + _rot(c, 30) + d) & _M,
        (a + _rot((b + _K2) & _M, 18) + c) & _M,
        mul,
    )


def _len33to64(s: bytes) -> int:
    n = len(s)
    mul = _K2 + n * 2
    a = (_f64(s, 0) * _K2) & _M
    b = _f64(s, 8)
    c = (_f64(s, n - 8) * mul) & _M
    d = (_f64(s, n - 16) * _K2) & _M
    y = (_rot((a + b) & _M, 43) + _rot(c, 30) + d) & _M
    z = _h16(y, (a + _rot((b + _K2) & _M, 18) + c) & _M, mul)
    e = (_f64(s, 16) * mul) & _M
    f = _f64(s, 24)
    g = ((y + _f64(s, n - 32)) * mul) & _M
    h = ((z + _f64(s, n - 24)) * mul) & _M
    return _h16(
        (_rot((e + f) & _M, 43) + _rot(g, 30) + h) & _M,
        (e + _rot((f + a) & _M, 18) + g) & _M,
        mul,
    )


def _weak32(s: bytes, i: int, a: int, b: int) -> tuple[int, int]:
    w, x, y, z = _f64(s, i), _f64(s, i + 8), _f64(s, i + 16), _f64(s, i + 24)
    a = (a + w) & _M
    b = _rot((b + a + z) & _M, 21)
    c = a
    a = (a + x + y) & _M
    b = (b + _rot(a, 44)) & _M
    return (a + z) & _M, (b + c) & _M


def fingerprint64(s: bytes) -> int:
    """FarmHash's Fingerprint64 (farmhashna's Hash64) of `s`, as TensorFlow's Fingerprint64."""
    n = len(s)
    if n <= 16:
        return _len0to16(s)
    if n <= 32:
        return _len17to32(s)
    if n <= 64:
        return _len33to64(s)
    seed = 81
    x = seed
    y = (seed * _K1 + 113) & _M
    z = (_smix((y * _K2 + 113) & _M) * _K2) & _M
    v = (0, 0)
    w = (0, 0)
    x = (x * _K2 + _f64(s, 0)) & _M
    end = ((n - 1) // 64) * 64
    last64 = end + ((n - 1) & 63) - 63
    i = 0
    while True:
        x = (_rot((x + y + v[0] + _f64(s, i + 8)) & _M, 37) * _K1) & _M
        y = (_rot((y + v[1] + _f64(s, i + 48)) & _M, 42) * _K1) & _M
        x ^= w[1]
        y = (y + v[0] + _f64(s, i + 40)) & _M
        z = (_rot((z + w[0]) & _M, 33) * _K1) & _M
        v = _weak32(s, i, (v[1] * _K1) & _M, (x + w[0]) & _M)
        w = _weak32(s, i + 32, (z + w[1]) & _M, (y + _f64(s, i + 16)) & _M)
        z, x = x, z
        i += 64
        if i == end:
            break
    mul = _K1 + ((z & 0xFF) << 1)
    i = last64
    w = ((w[0] + ((n - 1) & 63)) & _M, w[1])
    v = ((v[0] + w[0]) & _M, v[1])
    w = ((w[0] + v[0]) & _M, w[1])
    x = (_rot((x + y + v[0] + _f64(s, i + 8)) & _M, 37) * mul) & _M
    y = (_rot((y + v[1] + _f64(s, i + 48)) & _M, 42) * mul) & _M
    x ^= (w[1] * 9) & _M
    y = (y + v[0] * 9 + _f64(s, i + 40)) & _M
    z = (_rot((z + w[0]) & _M, 33) * mul) & _M
    v = _weak32(s, i, (v[1] * mul) & _M, (x + w[0]) & _M)
    w = _weak32(s, i + 32, (z + w[1]) & _M, (y + _f64(s, i + 16)) & _M)
    z, x = x, z
    return _h16(
        (_h16(v[0], w[0], mul) + _smix(y) * _K0 + z) & _M,
        (_h16(v[1], w[1], mul) + x) & _M,
        mul,
    )


def hash64(s: bytes, seed: int = 0xDECAFCAFFE) -> int:
    """TensorFlow's Hash64 (a 64-bit MurmurHash2 variant, seed 0xDECAFCAFFE)."""
    m, r = 0xC6A4A7935BD1E995, 47
    n = len(s)
    h = (seed ^ (n * m)) & _M
    i = 0
    while n - i >= 8:
        k = (_f64(s, i) * m) & _M
        k ^= k >> r
        k = (k * m) & _M
        h ^= k
        h = (h * m) & _M
        i += 8
    rest = n - i
    if rest:
        for j in range(rest - 1, -1, -1):
            h ^= s[i + j] << (8 * j)
        h = (h * m) & _M
    h ^= h >> r
    h = (h * m) & _M
    h ^= h >> r
    return h


def siphash(key: tuple[int, int], s: bytes) -> int:
    """SipHash-2-4 of `s` under the 128-bit key (k0, k1)."""
    k0, k1 = key[0] & _M, key[1] & _M
    v0 = k0 ^ 0x736F6D6570736575
    v1 = k1 ^ 0x646F72616E646F6D
    v2 = k0 ^ 0x6C7967656E657261
    v3 = k1 ^ 0x7465646279746573

    def rounds(k: int) -> None:
        nonlocal v0, v1, v2, v3
        for _ in range(k):
            v0 = (v0 + v1) & _M
            v1 = _rot(v1, 64 - 13) ^ v0
            v0 = _rot(v0, 64 - 32)
            v2 = (v2 + v3) & _M
            v3 = _rot(v3, 64 - 16) ^ v2
            v0 = (v0 + v3) & _M
            v3 = _rot(v3, 64 - 21) ^ v0
            v2 = (v2 + v1) & _M
            v1 = _rot(v1, 64 - 17) ^ v2
            v2 = _rot(v2, 64 - 32)

    n = len(s)
    tail = s[n - n % 8 :] + bytes(7 - n % 8) + bytes([n & 0xFF])
    for i in range(0, n - n % 8, 8):
        m = _f64(s, i)
        v3 ^= m
        rounds(2)
        v0 ^= m
    m = _f64(tail, 0)
    v3 ^= m
    rounds(2)
    v0 ^= m
    v2 ^= 0xFF
    rounds(4)
    return v0 ^ v1 ^ v2 ^ v3


class _HashBucket(_StringOp):
    def infer(self, x: Tensor) -> TensorSpec:
        self._need_string(x, "input")
        if int(self.attrs["num_buckets"]) < 1:
            raise self.error(f"num_buckets must be >= 1; got {self.attrs['num_buckets']}.")
        return spec(x.shape, dtypes.int64)

    def hash(self, s: bytes) -> int:
        raise NotImplementedError

    def compute(self, x: np.ndarray) -> np.ndarray:
        n = int(self.attrs["num_buckets"])
        return _map(x, lambda s: self.hash(s) % n, np.int64)


@register_op("StringToHashBucketFast")
class StringToHashBucketFast(_HashBucket):
    """y = Fingerprint64(s) mod num_buckets, per string."""

    def hash(self, s: bytes) -> int:
        return fingerprint64(s)


@register_op("StringToHashBucket")
class StringToHashBucket(_HashBucket):
    """y = Hash64(s) mod num_buckets, per string (TF's older, slower hash)."""

    def hash(self, s: bytes) -> int:
        return hash64(s)


@register_op("StringToHashBucketStrong")
class StringToHashBucketStrong(_HashBucket):
    """y = SipHash-2-4(key, s) mod num_buckets, per string."""

    def infer(self, x: Tensor) -> TensorSpec:
        key = self.attrs["key"]
        if len(key) != 2:
            raise self.error(f"Key must have 2 elements; got {len(key)}.")
        return super().infer(x)

    def hash(self, s: bytes) -> int:
        return siphash(tuple(self.attrs["key"]), s)  # type: ignore[arg-type]


def _bucket(cls: Any, x: Any, num_buckets: int, name: str | None, **attrs: Any) -> Tensor:
    with _graph_for(x):
        t = _string_input(x)
        return apply_op(cls, [t], {"num_buckets": int(num_buckets), **attrs}, name=name)


def string_to_hash_bucket_fast(input: Any, num_buckets: int, name: str | None = None) -> Tensor:  # noqa: A002
    """Each string's bucket in [0, num_buckets): FarmHash Fingerprint64 mod num_buckets (the
    numbers TensorFlow gives).

    Example:
        >>> sess = tf.Session()
        >>> sess.run(tf.strings.to_hash_bucket_fast(["hello"], 1000))
        array([296])
    """
    return _bucket(StringToHashBucketFast, input, num_buckets, name)


def string_to_hash_bucket(string_tensor: Any, num_buckets: int, name: str | None = None) -> Tensor:
    """Each string's bucket in [0, num_buckets) by TF's Hash64 (prefer the _fast variant)."""
    return _bucket(StringToHashBucket, string_tensor, num_buckets, name)


def string_to_hash_bucket_strong(
    input: Any,  # noqa: A002
    num_buckets: int,
    key: Any,
    name: str | None = None,
) -> Tensor:
    """Each string's bucket in [0, num_buckets) by SipHash-2-4 keyed with `key` (two ints), for
    inputs an adversary may choose."""
    k = [int(v) for v in key]
    return _bucket(StringToHashBucketStrong, input, num_buckets, name, key=k)


__all__ = [
    "string_to_hash_bucket_fast",
    "string_to_hash_bucket",
    "string_to_hash_bucket_strong",
]
