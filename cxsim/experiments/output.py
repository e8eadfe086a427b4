"""Output directories: checked before any work starts, written atomically.

:func:`check_output_dir` refuses, with a one-line :class:`ParameterError`, a path that is
an existing file, lies below a file, or cannot be created or written. :func:`write_atomically`
fills a temporary directory beside the target and renames it into place, so a reader
never sees a half-written directory (and an interrupted run leaves none).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from cxsim.core.parameters import ParameterError


def check_output_dir(path: str | Path, flag: str = "--out", marker: str | None = None) -> Path:
    """Raise ParameterError unless ``path`` can become an output directory.

    Allowed: a path that does not exist yet (below an existing, writable directory,
    possibly through missing folders) or an existing writable directory. With
    ``marker``, an existing directory must be empty or hold ``marker`` (a previous
    output of the same kind, which will be replaced).
    """
    path = Path(path)
    shown = str(path)
    if str(path).strip() == "":
        raise ParameterError(f"{flag} = '' is not allowed: expected a directory path")
    if path.exists() or path.is_symlink():
        if not path.is_dir():
            raise ParameterError(f"{flag} = {shown!r} is not allowed: it is an existing file; "
                                 "expected a directory (new or existing)")
        if not _writable(path):
            raise ParameterError(f"{flag} = {shown!r} is not allowed: the directory is not "
                                 "writable")
        if marker is not None and any(path.iterdir()) and not (path / marker).is_file():
            raise ParameterError(
                f"{flag} = {shown!r} is not allowed: it is a non-empty directory without "
                f"{marker}; expected a new or empty directory, or an earlier output to replace")
        parent = path.resolve().parent
        if marker is not None and not _writable(parent):
            raise ParameterError(f"{flag} = {shown!r} is not allowed: its parent {str(parent)!r}"
                                 " is not writable (the output is renamed into place)")
        return path
    ancestor = path.absolute().parent
    while not ancestor.exists() and not ancestor.is_symlink():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ParameterError(f"{flag} = {shown!r} is not allowed: {str(ancestor)!r} is a file, "
                             "not a directory")
    if not _writable(ancestor):
        raise ParameterError(f"{flag} = {shown!r} is not allowed: {str(ancestor)!r} is not "
                             "writable")
    return path


def write_atomically(path: str | Path, fill: Callable[[Path], None],
                     marker: str | None = None) -> Path:
    """Create directory ``path`` with the files ``fill(tmp)`` writes into ``tmp``.

    ``fill`` writes into a fresh temporary directory beside ``path``; only when it has
    finished is the directory renamed to ``path`` (an existing empty directory or earlier
    output, checked with :func:`check_output_dir`, is replaced). On any error the
    temporary directory is removed and ``path`` is left as it was.
    """
    path = check_output_dir(path, flag="output directory", marker=marker)
    if path.is_dir() and any(path.iterdir()) and marker is None:
        raise ParameterError(f"output directory = {str(path)!r} is not allowed: it is not "
                             "empty; expected a new or empty directory")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        fill(tmp)
        os.chmod(tmp, 0o777 & ~_umask())
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent))
            os.rmdir(old)
            os.rename(path, old)
            os.rename(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def write_files_atomically(path: str | Path, fill: Callable[[Path], None]) -> Path:
    """Write the files ``fill(tmp)`` creates in ``tmp`` into directory ``path`` (created
    if needed), each replacing its namesake at once: no file is ever half-written, and
    other files in ``path`` are left alone. On any error nothing in ``path`` changes."""
    path = check_output_dir(path, flag="output directory")
    path.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".cxsim-", suffix=".tmp", dir=path))
    try:
        fill(tmp)
        for item in sorted(tmp.iterdir()):
            os.replace(item, path / item.name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return path


def _writable(directory: Path) -> bool:
    """Whether a directory can be created in ``directory`` (tried, then removed: permission
    bits alone miss read-only file systems and say yes to root)."""
    try:
        with tempfile.TemporaryDirectory(prefix=".cxsim-probe.", dir=directory):
            return True
    except OSError:
        return False


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
