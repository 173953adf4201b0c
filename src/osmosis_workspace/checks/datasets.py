"""Datasets under ``data/`` against the platform's dataset contract.

The rules and their messages are the template's (``extensions/dataset_contract.py``, loaded by
:mod:`osmosis_workspace.engine.shared_rules`), so ``check`` and the dataset import give the same
verdict and the same words. A file is read *in place*: what the import would normalise (a UTF-8
byte-order mark, blank CSV lines) is reported here, because this file is what gets uploaded.
Parquet content needs pyarrow; without it the file is listed as skipped, as osmosis warns.
"""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

from osmosis_workspace.checks.model import CheckContext, Problem
from osmosis_workspace.engine.shared_rules import load

#: ``--fast`` skips datasets above this size (a pre-commit hook must stay quick).
FAST_MAX_BYTES = 4 * 1024 * 1024


def check(ctx: CheckContext) -> Iterator[Problem]:
    contract = load("dataset_contract.py")
    for rel in ctx.under("data", tuple(f".{ext}" for ext in contract.FORMATS)):
        path = ctx.root / rel
        if problem := _not_a_plain_file(ctx, path):
            yield Problem(rel, problem, "datasets")
            continue
        if ctx.fast and path.stat().st_size > FAST_MAX_BYTES:
            ctx.skipped.append(f"{rel}: larger than {FAST_MAX_BYTES >> 20} MB (--fast)")
            continue
        if path.suffix.lower() == ".parquet" and not contract.parquet_readable():
            ctx.skipped.append(f"{rel}: parquet content not checked (pyarrow is not installed)")
            continue
        for found in contract.problems(path, display=rel, in_place=True):
            yield Problem(rel, found.text, "datasets")


def _not_a_plain_file(ctx: CheckContext, path: Path) -> str:
    """Why a dataset is not read at all: a link out of the workspace (every clone lacks it, and
    it may point at a device or a system file) or not a regular file (a FIFO would block)."""
    try:
        info = path.stat()
    except OSError:
        if path.is_symlink():
            return "is a dangling symbolic link: restore the file or delete the link"
        return "cannot be read"
    if path.is_symlink() and not path.resolve().is_relative_to(ctx.root.resolve()):
        return (
            "is a symbolic link to a file outside the workspace, which clones do not have: copy "
            "the dataset into data/ instead of linking it"
        )
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file (a folder, device, FIFO or socket): replace it with the file"
    return ""
