"""Re-execute notebooks in place, top to bottom in a fresh kernel, ready to commit.

    python tools/run_notebooks.py notebooks/03_diagonal_gaussian.ipynb   # one
    python tools/run_notebooks.py                                        # all of notebooks/

Each notebook runs in its own folder (so ``../figures/`` resolves), with one thread so float
reductions print the same digits everywhere. Afterwards it drops what must not be committed: widget
state in the metadata and volatile per-cell metadata. It fails if any cell errors or writes a warning.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def run(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    start = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    elapsed = time.perf_counter() - start
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error" or (out.get("name") == "stderr" and "Warning" in out.get("text", "")):
                raise SystemExit(f"{path}: a cell printed an error or a warning:\n{out}")
    nbformat.write(nb, path)
    return elapsed


def main(argv: list[str]) -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("ATEN_CPU_CAPABILITY", "default")  # the portable kernels, as under pytest (conftest.py)
    os.environ.setdefault("MKL_CBWR", "COMPATIBLE")
    paths = [Path(a).resolve() for a in argv] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    for path in paths:
        elapsed = run(path)
        print(f"{path.relative_to(ROOT)}: {elapsed:5.1f} s, {path.stat().st_size / 1024:6.0f} KiB")


if __name__ == "__main__":
    main(sys.argv[1:])
