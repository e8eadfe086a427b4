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
cache directory), keyed on the compiled function's own source file *and* on the sources
it depends on (:data:`DEPENDENCIES`, and this module): numba's own key covers only the
first, and a stale kernel after an edit of the dynamics would silently run the old
equations.
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

#: The modules whose functions compiled code calls (their sources are part of the cache
#: key of every compiled function).
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

#: The sources every compiled function depends on beyond its own file: this module (how
#: functions are compiled) and :data:`DEPENDENCIES`.
_STAMP = hashlib.sha256(b"".join(Path(source).read_bytes() for source in
                                 (__file__, *(m.__file__ for m in DEPENDENCIES)))).hexdigest()


def jit(function):
    """``function`` compiled (numba's nopython mode), cached on disk under a key that
    includes the sources of :data:`DEPENDENCIES`. Arithmetic follows numpy's rules (a
    division by zero gives an infinity or NaN, as it does on arrays, instead of raising)."""
    dispatcher = numba.njit(cache=True, error_model="numpy")(function)
    try:  # numba keys its cache on the function's own file: add what it depends on
        index = dispatcher._cache._cache_file
        index._source_stamp = (index._source_stamp, _STAMP)
    except AttributeError:  # another numba's internals: compile in each process instead
        dispatcher._cache = numba.core.caching.NullCache()
    return dispatcher
