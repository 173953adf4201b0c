"""Answer data files that must be refused: a FIFO, /dev/zero, a 3 GiB sparse file, and YAML
nested far too deep, each with the words its refusal must contain.

Shared by the in-process unit test (tests/unit/test_data_file_limits.py) and the real-process
test (tests/integration/test_bad_input.py).
"""

from __future__ import annotations

import os
from pathlib import Path

from osmosis_workspace.engine.questions import MAX_NESTING


def hostile_files(tmp_path: Path) -> dict[str, Path]:
    fifo = tmp_path / "answers.fifo"
    os.mkfifo(fifo)
    sparse = tmp_path / "huge.yml"
    with open(sparse, "wb") as handle:
        handle.truncate(3 << 30)  # 3 GiB of holes: nothing written
    deep_flow = tmp_path / "deep-flow.yml"
    deep_flow.write_text("a: " + "[" * 200_000 + "]" * 200_000 + "\n", encoding="utf-8")
    deep_block = tmp_path / "deep-block.yml"
    deep_block.write_text(
        "".join(f"{'  ' * i}k{i}:\n" for i in range(60)) + "  " * 60 + "v\n", encoding="utf-8"
    )
    return {
        "fifo": fifo,
        "dev-zero": Path("/dev/zero"),
        "sparse": sparse,
        "deep-flow": deep_flow,
        "deep-block": deep_block,
    }


EXPECTED = {
    "fifo": "not a regular file (a folder, device, FIFO or socket)",
    "dev-zero": "not a regular file (a folder, device, FIFO or socket)",
    "sparse": f"{3 << 30} bytes; the limit is 1048576",
    "deep-flow": f"is nested more than {MAX_NESTING} levels deep",
    "deep-block": f"is nested more than {MAX_NESTING} levels deep",
}
