"""Compiled phases: the engine's hottest daily loops as machine code, through numba.

A day's service and workforce phases are a few hundred array operations, each on a few
hundred contacts or positions. Under numpy each operation costs about a microsecond of
interpreter and dispatch overhead, far more than its arithmetic; compiled by numba, the
same operations cost a tenth of that. So the phases keep their array-operation form, and
the functions that hold them are compiled with :func:`jit`.

One source of equations: every function of :mod:`cxsim.core.dynamics` and the draws of
:mod:`cxsim.core.streams` are registered with numba as themselves, so compiled code calls
the same small pure functions that numpy code and the per-agent reference call. Compiled
code gives the same numbers as numpy, to the last bit, because it performs the same IEEE
operations in the same order and calls the same C library for ``exp``, ``log``, ``cos``
and the like (``benchmarks/bit_identity.py`` checks whole runs; ``tests/test_compiled.py``
checks the functions); sums over many values stay in numpy, whose pairwise summation a
loop would not reproduce.

Compiled code is cached on disk (numba's cache, next to the sources or in the user's
cache directory), keyed on the compiled function's own source file *and* on every source
of the model core and the engine (:data:`SOURCES`): numba's own key covers only the
first, and a stale kernel after an edit of the dynamics would silently run the old
equations. Compiled functions are not recursive: numba's cache does not keep recursive
functions safely (a cached one crashed when loaded).
"""

from __future__ import annotations

import hashlib
import inspect
from pathlib import Path

import numba
import numpy as np
from numba import types
from numba.extending import overload

from cxsim.core import dynamics, streams

#: The modules whose functions compiled code calls as they are (registered with numba).
DEPENDENCIES = (dynamics, streams)


def _register(module) -> None:
    """Make every function defined in ``module`` callable from compiled code, as itself
    (but those with a compiled form of their own)."""
    for function in vars(module).values():
        if (inspect.isfunction(function) and function.__module__ == module.__name__
                and function not in _OWN_FORMS):
            def typer(*args, _function=function):
                return _function
            typer.__signature__ = inspect.signature(function)
            overload(function)(typer)


@overload(dynamics._clip)
def _clip(x, low, high):
    """numpy's clip ufunc (what :func:`cxsim.core.dynamics.clip01` calls), compiled."""
    def clip(x, low, high):
        return np.minimum(np.maximum(x, low), high)
    return clip


@overload(dynamics.choose)
def _choose(condition, if_true, if_false):
    """:func:`cxsim.core.dynamics.choose` on one value is a plain choice (``np.where`` on
    one value would make an array of it)."""
    if isinstance(condition, types.Boolean):
        def choose(condition, if_true, if_false):
            return if_true if condition else if_false
    else:
        def choose(condition, if_true, if_false):
            return np.where(condition, if_true, if_false)
    return choose


_OWN_FORMS = (dynamics.choose,)
for _module in DEPENDENCIES:
    _register(_module)

#: The sources a compiled function may depend on beyond its own file: every module of the
#: model core and of the engine (compiled functions call each other across modules, and
#: numba's cache would keep a caller compiled against an edited callee).
SOURCES = sorted([*Path(dynamics.__file__).parent.glob("*.py"),
                  *Path(__file__).parent.rglob("*.py")])
_STAMP = hashlib.sha256(b"".join(source.read_bytes() for source in SOURCES)).hexdigest()


def jit(function):
    """``function`` compiled (numba's nopython mode), cached on disk under a key that
    includes :data:`SOURCES`. Arithmetic follows numpy's rules (a
    division by zero gives an infinity or NaN, as it does on arrays, instead of raising)."""
    dispatcher = numba.njit(cache=True, error_model="numpy")(function)
    try:  # numba keys its cache on the function's own file: add what it depends on
        index = dispatcher._cache._cache_file
        index._source_stamp = (index._source_stamp, _STAMP)
    except AttributeError:  # another numba's internals: compile in each process instead
        dispatcher._cache = numba.core.caching.NullCache()
    return dispatcher


@jit
def numpy_sum(values):
    """``values.sum()`` of a 1-d float array, to the last bit: numpy's pairwise summation
    (runs of 8 partial sums up to 128 values; above that, the sum of the two halves, the
    first half a multiple of 8 long), which a plain loop would not reproduce (compiled;
    ``tests/test_compiled.py`` checks it against numpy). The halves are walked with an
    explicit stack: numba's cache does not keep recursive functions safely."""
    # tasks: (start, length) to sum, or length -1: add the two sums on top of ``sums``
    starts = np.empty(256, dtype=np.int64)
    lengths = np.empty(256, dtype=np.int64)
    sums = np.empty(128)
    starts[0], lengths[0] = 0, values.size
    tasks, done = 1, 0
    while tasks:
        tasks -= 1
        start, n = starts[tasks], lengths[tasks]
        if n < 0:
            done -= 1
            sums[done - 1] = sums[done - 1] + sums[done]
        elif n <= 128:
            sums[done] = _block_sum(values, start, n)
            done += 1
        else:
            half = n // 2
            half -= half % 8
            starts[tasks], lengths[tasks] = 0, -1  # then add them
            starts[tasks + 1], lengths[tasks + 1] = start + half, n - half  # second half
            starts[tasks + 2], lengths[tasks + 2] = start, half  # first half first
            tasks += 3
    return sums[0]


@jit
def _block_sum(values, start, n):
    """numpy's pairwise summation of ``n`` <= 128 values from ``start``."""
    if n < 8:
        total = 0.0
        for i in range(start, start + n):
            total += values[i]
        return total
    r0, r1, r2, r3 = values[start], values[start + 1], values[start + 2], values[start + 3]
    r4, r5, r6, r7 = values[start + 4], values[start + 5], values[start + 6], values[start + 7]
    i = 8
    while i < n - n % 8:
        j = start + i
        r0 += values[j]
        r1 += values[j + 1]
        r2 += values[j + 2]
        r3 += values[j + 3]
        r4 += values[j + 4]
        r5 += values[j + 5]
        r6 += values[j + 6]
        r7 += values[j + 7]
        i += 8
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        total += values[start + i]
        i += 1
    return total
