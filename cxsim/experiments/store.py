"""The results store of a sweep: a directory that never loses a finished run.

Layout of ``out``:

* ``sweep.json``: the manifest: the sweep spec, its hash and the hashes of every planned
  run. An ``out`` holding another sweep's manifest (or other files) is refused and left
  untouched.
* ``runs/<run hash>.parquet``: one finished run, one row (parameters, seed, metrics),
  named by its :attr:`RunSpec.content_hash <cxsim.experiments.specs.RunSpec.content_hash>`
  and carrying that hash in its Parquet metadata (key ``cxsim.run_hash``).
* ``daily/<run hash>.parquet``: the run's daily series, when the spec asks (written before
  the run's file, so a run counts as done only with its series).
* ``failed/<run hash>.json``: a run that raised, with its error text.

Every file is written to a hidden temporary name in its directory, flushed and fsynced,
then renamed into place with :func:`os.replace`: a reader (or a resumed sweep) sees the
whole file or none. A file that pyarrow cannot read, or whose metadata hash is not its
name, is torn: it is deleted and the run redone.

``pandas.read_parquet(out / "runs")`` and DuckDB's ``read_parquet('out/runs/*.parquet')``
read the finished runs directly (hidden temporary files are ignored by both).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from cxsim.core.parameters import ParameterError

if TYPE_CHECKING:  # pragma: no cover
    from cxsim.experiments.sweeps import RunOutcome, SweepRun, SweepSpec

MANIFEST = "sweep.json"
RUNS = "runs"
DAILY = "daily"
FAILED = "failed"
#: Parquet metadata key holding a run file's hash.
HASH_KEY = b"cxsim.run_hash"
#: Format of the manifest.
FORMAT = "cxsim.SweepStore/1"
#: Leading columns of a stored run, before the swept keys and the metrics.
RUN_COLUMNS = ("point", "replicate", "seed", "spec_hash", "sweep_hash", "status", "error")


def write_file_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path``: a hidden temporary file in the same directory, fsynced,
    then :func:`os.replace` (and the directory fsynced), so ``path`` is whole or absent."""
    tmp = path.parent / f".{path.name}.{os.getpid()}.tmp"
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _parquet_bytes(frame: pd.DataFrame, run_hash: str) -> bytes:
    import pyarrow as pa

    return _table_bytes(pa.Table.from_pandas(frame, preserve_index=False), run_hash)


def _table_bytes(table: Any, run_hash: str) -> bytes:
    """Parquet bytes of a pyarrow ``table``, with ``run_hash`` in its metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                           HASH_KEY: run_hash.encode()})
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return sink.getvalue().to_pybytes()


def valid_run_file(path: Path) -> bool:
    """Whether ``path`` is a whole run file: pyarrow reads it and its metadata hash is
    its name."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception:  # torn, truncated, not Parquet: any failure means "redo"
        return False
    metadata = table.schema.metadata or {}
    return metadata.get(HASH_KEY, b"").decode(errors="replace") == path.stem


@dataclass
class Store:
    """An open sweep store (see the module docs). Open it with :meth:`open`."""

    root: Path
    sweep_hash: str
    keys: list[str]
    metrics: tuple[str, ...]
    done: set[str] = field(default_factory=set)
    #: Arrow schema of a run row (with pandas' metadata), made from the first row written:
    #: later rows are built straight into Arrow, which costs the driver far less per run.
    _row_schema: Any = field(default=None, repr=False)

    @classmethod
    def open(cls, out: str | Path, spec: SweepSpec, runs: list[SweepRun],
             sweep_hash: str) -> Store:
        """Open (create or resume) the store of ``spec`` at ``out``: refuses another
        sweep's store or a non-empty directory that is not a store; deletes torn and
        temporary files; finds the runs done."""
        root = Path(out)
        check_store_dir(root, sweep_hash)
        for sub in (RUNS, DAILY, FAILED):
            (root / sub).mkdir(parents=True, exist_ok=True)
        manifest = root / MANIFEST
        if not manifest.exists():
            write_file_atomically(manifest, json.dumps({
                "format": FORMAT, "sweep_hash": sweep_hash, "spec": spec.to_dict(),
                "keys": spec.keys, "metrics": list(spec.metrics),
                "runs": [r.spec.content_hash for r in runs]}, indent=1).encode())
        store = cls(root, sweep_hash, spec.keys, spec.metrics)
        store.done = store.scan(r.spec.content_hash for r in runs)
        return store

    def scan(self, hashes: Iterable[str]) -> set[str]:
        """The runs among ``hashes`` with a whole file; torn files and leftover
        temporary files are deleted (their runs will be redone)."""
        for sub in (RUNS, DAILY, FAILED):
            for tmp in (self.root / sub).glob(".*.tmp"):
                tmp.unlink(missing_ok=True)
        done = set()
        for run_hash in hashes:
            path = self.root / RUNS / f"{run_hash}.parquet"
            if path.exists():
                if valid_run_file(path):
                    done.add(run_hash)
                else:
                    path.unlink(missing_ok=True)
        return done

    def write(self, run: SweepRun, outcome: RunOutcome) -> None:
        """Store one outcome: a run file (finished) or a failure record."""
        run_hash = run.spec.content_hash
        if run_hash in self.done:
            return  # a duplicate (a Dask task run twice): the file is already whole
        row: dict[str, Any] = {"point": run.point, "replicate": run.replicate,
                               "seed": run.spec.seed, "spec_hash": run_hash,
                               "sweep_hash": self.sweep_hash, "status": "done", "error": None}
        row.update(zip(self.keys, (float(v) for v in run.values)))
        if outcome.error is not None:
            row.update(status="failed", error=outcome.error)
            write_file_atomically(self.root / FAILED / f"{run_hash}.json",
                                  json.dumps(row).encode())
            return
        if outcome.daily is not None:
            daily = outcome.daily.copy()
            daily.insert(0, "spec_hash", run_hash)
            write_file_atomically(self.root / DAILY / f"{run_hash}.parquet",
                                  _parquet_bytes(daily, run_hash))
        for metric in self.metrics:
            value = outcome.summary.get(metric)
            row[metric] = float("nan") if value is None else float(value)
        write_file_atomically(self.root / RUNS / f"{run_hash}.parquet",
                              _table_bytes(self._row_table(row), run_hash))
        (self.root / FAILED / f"{run_hash}.json").unlink(missing_ok=True)
        self.done.add(run_hash)


    def _row_table(self, row: dict[str, Any]) -> Any:
        """One run's row as a pyarrow Table with the store's fixed schema."""
        import pyarrow as pa

        if self._row_schema is None:
            frame = pd.DataFrame([row]).astype({"error": "string"})
            self._row_schema = pa.Table.from_pandas(frame, preserve_index=False).schema
        return pa.Table.from_pylist([row], schema=self._row_schema)


def check_store_dir(root: Path, sweep_hash: str | None = None) -> None:
    """Raise ParameterError unless ``root`` is new, empty, or this sweep's store."""
    from cxsim.experiments.output import check_output_dir

    check_output_dir(root)
    if not root.is_dir() or not any(root.iterdir()):
        return
    manifest = root / MANIFEST
    if not manifest.is_file():
        raise ParameterError(f"--out = {str(root)!r} is not allowed: it is a non-empty "
                             f"directory without {MANIFEST}; expected a new or empty "
                             "directory, or this sweep's own store to resume")
    stored = read_manifest(root)
    if sweep_hash is not None and stored.get("sweep_hash") != sweep_hash:
        name = stored.get("spec", {}).get("name", "?")
        raise ParameterError(
            f"--out = {str(root)!r} is not allowed: it holds another sweep's store "
            f"({name!r}, hash {str(stored.get('sweep_hash'))[:12]}); expected a new or empty "
            "directory, or this sweep's own store to resume")


def read_manifest(root: Path) -> dict[str, Any]:
    """The manifest of the store at ``root``, or ParameterError."""
    try:
        manifest = json.loads((root / MANIFEST).read_text())
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise ValueError("not a sweep manifest")
        return manifest
    except (OSError, ValueError) as error:
        raise ParameterError(f"{str(root / MANIFEST)!r} is not allowed: it cannot be read as "
                             f"a sweep manifest ({error}); expected a store written by "
                             "cxsim sweep") from None


def load_sweep(out: str | Path) -> pd.DataFrame:
    """The stored runs of the sweep at ``out``, one row each, sorted by point and
    replicate: ``point``, ``replicate``, ``seed``, ``spec_hash`` (the run's hash),
    ``sweep_hash``, ``status`` ("done"/"failed"), ``error``, one column per swept key
    and one per metric (NaN for a failed run). Runs not yet run are absent."""
    root = Path(out)
    manifest = read_manifest(root)
    columns = list(RUN_COLUMNS) + manifest["keys"] + manifest["metrics"]
    files = sorted((root / RUNS).glob("[!.]*.parquet"))
    frames = [pd.read_parquet(path) for path in files]
    done = {f.stem for f in files}
    failed = [json.loads(p.read_text()) for p in sorted((root / FAILED).glob("[!.]*.json"))
              if p.stem not in done]
    if failed:
        frames.append(pd.DataFrame(failed))
    if not frames:
        return pd.DataFrame(columns=columns)
    frame = pd.concat(frames, ignore_index=True).reindex(columns=columns)
    return frame.sort_values(["point", "replicate"], kind="stable").reset_index(drop=True)


def load_daily(out: str | Path) -> pd.DataFrame:
    """The stored daily series of every finished run (column ``spec_hash`` names the run);
    empty if the sweep did not keep them."""
    files = sorted((Path(out) / DAILY).glob("[!.]*.parquet"))
    if not files:
        return pd.DataFrame()
    return pd.concat([pd.read_parquet(p) for p in files], ignore_index=True)


@dataclass
class Status:
    """Counts of a store's runs, and the failed runs' errors."""

    total: int
    done: int
    failed: dict[str, str]

    @property
    def pending(self) -> int:
        return self.total - self.done - len(self.failed)


def store_status(out: str | Path) -> Status:
    """Done, failed (with errors) and pending runs of the store at ``out``."""
    root = Path(out)
    if not (root / MANIFEST).is_file():
        raise ParameterError(f"--status = {str(root)!r} is not allowed: no {MANIFEST} there; "
                             "expected the --out directory of a cxsim sweep")
    manifest = read_manifest(root)
    planned = manifest["runs"]
    done = {h for h in planned if (root / RUNS / f"{h}.parquet").exists()
            and valid_run_file(root / RUNS / f"{h}.parquet")}
    failed = {}
    for h in planned:
        path = root / FAILED / f"{h}.json"
        if h not in done and path.exists():
            try:
                failed[h] = json.loads(path.read_text())["error"]
            except (OSError, ValueError, KeyError):
                failed[h] = "unreadable failure record"
    return Status(len(planned), len(done), failed)
