"""The template's dataset import: Jinja filters and the import step, over the dataset contract.

The rules and their messages live in ``dataset_contract.py`` beside this file (shared with
``osmosis-workspace check``); this module adapts them to two callers (see
``docs/dataset-import.md``):

* **Jinja filters** for ``copier.yml`` (loaded by ``copier_template_extensions`` and by the
  ``osmosis-workspace`` CLI, which execs this module by path): ``dataset_file_problem``,
  ``infer_dataset_mode``, ``dataset_mode_mismatch``, ``guess_metadata_field``,
  ``metadata_field_missing`` and ``dataset_import_source``. They are pure apart from *reading* the
  file the user named: no writes, no subprocess, no network. Results are cached per
  (resolved path, size, mtime_ns, inode) because Copier renders validators and defaults many
  times per run.
* **The import step**: ``python extensions/datasets.py import SOURCE DEST DISPLAY [quiet]``, run
  by the ``_tasks`` entry of ``copier.yml`` on the first copy only. It streams the file once more,
  re-checking every row, into ``DEST`` (``data/<dataset_name>.jsonl``) through a temporary file
  that is renamed into place only when the whole file passed.

Standard library only (plus Jinja for the extension class).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import threading
import types
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:  # The import step runs without Jinja being needed; the filters always have it.
    from jinja2.ext import Extension
except ImportError:  # pragma: no cover - Copier always installs Jinja
    Extension = object  # type: ignore[assignment,misc]


def _load_sibling(name: str) -> types.ModuleType:
    """Execute ``extensions/<name>`` of the same template version (Copier loads this file by
    path, not as a package; the CLI provides ``__template_reader__`` when it executes this file
    from a git object, and the sibling gets it too, for its own siblings)."""
    reader = globals().get("__template_reader__")
    source = reader(f"extensions/{name}") if reader else None
    path = Path(__file__).resolve().parent / name
    if source is None:
        source = path.read_text(encoding="utf-8")
    module = types.ModuleType(f"osmosis_template_{Path(name).stem}_{id(source)}")
    module.__file__ = str(path)
    if reader:
        module.__dict__["__template_reader__"] = reader
    sys.modules[module.__name__] = module  # dataclasses look their module up by name
    exec(compile(source, f"extensions/{name}", "exec"), module.__dict__)
    return module


#: The platform's dataset rules and messages (one copy, shared with ``check``).
CONTRACT = _load_sibling("dataset_contract.py")
DatasetError = CONTRACT.DatasetError
Summary = CONTRACT.Summary
METADATA = CONTRACT.METADATA
FIELD = CONTRACT.FIELD
redact = CONTRACT.redact

#: Defaults the questionnaire uses when there is no file to guess from.
DEFAULT_FIELDS = {"prompt": "question", "answer": "answer"}
#: Metadata key names, most plausible first, for ``guess_metadata_field``.
FIELD_NAMES = {
    "prompt": ("question", "prompt", "user_prompt", "input", "query", "problem", "instruction",
               "text", "task", "request", "message", "content", "context", "passage", "source"),
    "answer": ("answer", "expected_answer", "expected", "expected_output", "ground_truth",
               "label", "target", "output", "solution", "correct_answer", "final_answer",
               "reference", "gold", "result", "response", "completion", "truth"),
}  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Paths
# ---------------------------------------------------------------------------------------------


def clean_path(value: object) -> str:
    """The answer as a path string: trimmed, one pair of surrounding quotes removed.

    Terminals add quotes when a file is dragged onto them; nobody names a dataset ``'x.csv'``.
    """
    text = str(value).strip() if value is not None else ""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1].strip()
    return text


def resolve_path(value: object) -> Path:
    """Absolute path of the answer: ``~`` expanded, relative to the current directory.

    Copier keeps the process's working directory at the directory the user ran it from while it
    asks the questions and renders the task commands (it only changes directory around git calls
    and inside tasks), so relative answers mean what the user meant. The CLI passes absolute paths.
    """
    path = Path(clean_path(value)).expanduser()
    if not path.is_absolute():
        path = Path.cwd() / path
    with contextlib.suppress(OSError, RuntimeError):
        return path.resolve()
    return Path(os.path.abspath(path))


def iter_dataset(path: Path, display: str, summary_out: list[Any] | None = None) -> Any:
    """The contract's checked rows of ``path`` (``display``: the path as the user typed it)."""
    return CONTRACT.iter_dataset(path, clean_path(display), summary_out)


# ---------------------------------------------------------------------------------------------
# Scanning with a cache (the filters) and converting (the import step)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scan:
    summary: Summary | None
    error: DatasetError | None


_CACHE: OrderedDict[tuple[Any, ...], Scan] = OrderedDict()
_CACHE_SIZE = 16
_CACHE_LOCK = threading.Lock()


def scan(value: object) -> Scan:
    """Check the whole file once per (path, size, mtime_ns, inode); cached."""
    path = resolve_path(value)
    try:
        info = path.stat()
        key: tuple[Any, ...] | None = (str(path), info.st_size, info.st_mtime_ns, info.st_ino)
    except OSError:
        key = None  # missing or unreadable: cheap to re-check, and must not be cached
    if key is not None:
        with _CACHE_LOCK:
            if key in _CACHE:
                _CACHE.move_to_end(key)
                return _CACHE[key]
    summaries: list[Summary] = []
    try:
        for _row in iter_dataset(path, str(value), summaries):
            pass
        result = Scan(summaries[0], None)
    except DatasetError as exc:
        result = Scan(summaries[0] if summaries else None, exc)
    except OSError as exc:
        result = Scan(None, CONTRACT.read_error(exc))
    if key is not None:
        with _CACHE_LOCK:
            _CACHE[key] = result
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
    return result


def _dumps(row: dict[str, Any]) -> bytes:
    text = json.dumps(row, ensure_ascii=False)
    try:
        return text.encode("utf-8") + b"\n"
    except UnicodeEncodeError:  # a lone surrogate from a "\ud800" escape: keep it escaped
        return json.dumps(row).encode("ascii") + b"\n"


def import_dataset(source: Path | str, dest: Path | str, display: str | None = None) -> Summary:
    """Stream ``source`` into ``dest`` as JSONL (UTF-8, no BOM, LF), checking every row.

    Writes ``dest`` through a temporary file in the same directory and renames it into place only
    when the whole file passed: on any problem :class:`DatasetError` (or ``OSError``) is raised
    and nothing is left behind.
    """
    source, dest = Path(source), Path(dest)
    display = display if display is not None else str(source)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.importing")
    summaries: list[Summary] = []
    try:
        with tmp.open("wb") as out:
            for row in iter_dataset(source, display, summaries):
                out.write(_dumps(row))
        os.replace(tmp, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return summaries[0]


# ---------------------------------------------------------------------------------------------
# Jinja filters
# ---------------------------------------------------------------------------------------------


def _copier_operation() -> str | None:
    """Copier's current operation ("copy" or "update"), or None outside Copier.

    ``_copier_operation`` is not in the context Copier renders questions with, so read the
    context variable Copier 9.19 sets around ``run_copy``/``run_update`` (an update renders its
    old and new copies with "update" too).
    """
    module = sys.modules.get("copier._main")
    var = getattr(module, "_operation", None)
    try:
        return var.get(None) if var is not None else None
    except Exception:  # a Copier without that variable: behave as outside Copier
        return None


def _inert() -> bool:
    """On update the stored path may be gone and the data is the user's: never read it then."""
    return _copier_operation() == "update"


def _valid(value: object) -> Summary | None:
    if _inert() or not clean_path(value):
        return None
    result = scan(value)
    return result.summary if result.error is None else None


def dataset_file_problem(value: object) -> str:
    """Why ``value`` cannot be imported (one line), or "" when it can (or on update)."""
    if _inert():
        return ""
    if not clean_path(value):
        return (
            (
                f"{FIELD} is blank: give the path of a .jsonl, .csv or .parquet file, or leave "
                f"it empty to start with sample rows"
            )
            if str(value or "")
            else ""
        )
    result = scan(value)
    return result.error.message(clean_path(value)) if result.error else ""


def infer_dataset_mode(value: object) -> str:
    """'metadata' when the file has a metadata column, else 'prompt' (also when unreadable)."""
    summary = _valid(value)
    return summary.mode if summary else "prompt"


def dataset_mode_mismatch(value: object, mode: object) -> str:
    """Why ``mode`` does not fit the file, or "" (also when the file itself has a problem)."""
    summary = _valid(value)
    if summary is None or mode == summary.mode:
        return ""
    why = "it has a metadata column" if summary.mode == METADATA else "it has no metadata column"
    return redact(
        f"dataset_mode {mode!r} does not match {FIELD} {clean_path(value)}, which is in "
        f"{summary.mode} mode ({why}); choose {summary.mode}"
    )


def guess_metadata_field(value: object, role: object = "prompt") -> str:
    """The metadata key most likely to hold the prompt (role 'prompt') or the answer ('answer')."""
    role = "answer" if role == "answer" else "prompt"
    summary = _valid(value)
    if summary is None or summary.mode != METADATA or not summary.metadata_keys:
        return DEFAULT_FIELDS[role]
    keys = summary.metadata_keys
    prompt = _best_key(keys, "prompt", exclude=None)
    return prompt if role == "prompt" else _best_key(keys, "answer", exclude=prompt)


def _tokens(key: str) -> list[str]:
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key)
    return [t for t in re.split(r"[^a-z0-9]+", spaced.lower()) if t]


def _name_score(key: str, names: tuple[str, ...]) -> int | None:
    """Rank of ``key`` among ``names``: exact names first, then keys containing one as a word."""
    tokens = _tokens(key)
    joined = "_".join(tokens)
    if joined in names:
        return names.index(joined)
    ranks = [names.index(token) for token in tokens if token in names]
    return 100 + min(ranks) if ranks else None


def _best_key(keys: dict[str, str], role: str, exclude: str | None) -> str:
    names = FIELD_NAMES[role]
    candidates = [k for k in keys if k != exclude] or list(keys)
    scalar = [k for k in candidates if keys[k] in ("string", "number")] or candidates
    best: tuple[int, int, str] | None = None
    for position, key in enumerate(candidates):
        score = _name_score(key, names)
        if score is None:
            continue
        if key not in scalar:
            score += 1000  # an object or an array makes a poor prompt or answer
        if best is None or (score, position) < best[:2]:
            best = (score, position, key)
    if best is not None:
        return best[2]
    if role == "prompt":
        return scalar[0]
    rest = [k for k in scalar if k != exclude]
    return rest[0] if rest else candidates[0]


def metadata_field_missing(value: object, name: object) -> str:
    """Why no row's metadata has key ``name``, or "" (also outside metadata mode)."""
    summary = _valid(value)
    if summary is None or summary.mode != METADATA or name in summary.metadata_keys:
        return ""
    keys = list(summary.metadata_keys)
    shown = ", ".join(keys[:20]) + (f", ... ({len(keys)} keys)" if len(keys) > 20 else "")
    return redact(
        f"no row of {FIELD} {clean_path(value)} has the metadata key {name!r} "
        f"(its metadata keys: {shown})"
    )


def dataset_import_source(value: object) -> str:
    """The absolute path the import step reads (relative answers: to the user's directory)."""
    return str(resolve_path(value)) if clean_path(value) else ""


FILTERS = {
    "dataset_file_problem": dataset_file_problem,
    "infer_dataset_mode": infer_dataset_mode,
    "dataset_mode_mismatch": dataset_mode_mismatch,
    "guess_metadata_field": guess_metadata_field,
    "metadata_field_missing": metadata_field_missing,
    "dataset_import_source": dataset_import_source,
}


class DatasetExtension(Extension):
    """Registers the dataset-import filters the questionnaire and the import task use."""

    def __init__(self, environment):  # type: ignore[no-untyped-def]
        super().__init__(environment)
        environment.filters.update(FILTERS)


# ---------------------------------------------------------------------------------------------
# The import step (run by copier.yml's _tasks on the first copy, in the new workspace)
# ---------------------------------------------------------------------------------------------

USAGE = "usage: datasets.py import SOURCE DEST [DISPLAY] [quiet]"


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[0] != "import":
        print(USAGE, file=sys.stderr)
        return 2
    source, dest = Path(argv[1]), Path(argv[2])
    display = argv[3] if len(argv) > 3 and argv[3] else str(source)
    quiet = len(argv) > 4 and argv[4] == "quiet"
    if dest.exists():
        # Data belongs to the user (copier.yml `_skip_if_exists`): a re-copy into an existing
        # workspace keeps it.
        print(
            f"{dest.as_posix()} already exists: kept it, {display} was not imported",
            file=sys.stderr,
        )
        return 0
    try:
        summary = import_dataset(source, dest, display)
    except DatasetError as exc:
        print(exc.message(display), file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"{FIELD} {display}: import into {dest.as_posix()} failed ({exc})", file=sys.stderr)
        return 1
    if not quiet:
        notes = "".join(f"; {note}" for note in summary.notes)
        print(
            f"Imported {display} into {dest.as_posix()}: {summary.rows} rows, {summary.mode} "
            f"mode{notes}",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
