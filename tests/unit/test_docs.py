"""Every ```python block of every docs/*.md runs: the blocks of one page, in order, as one script in a fresh
interpreter (as a reader pastes them into a file), so ``if __name__ == "__main__":`` guards and spawned worker
processes behave as they do for a user. A block may be skipped only with a visible reason, written on the line
before it as ``<!-- docs-test: skip (why) -->``. A page with its own test module (``test_docs_<page>.py``, which
also checks the page's output) runs there instead."""
from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

import pytest

DOCS = pathlib.Path(__file__).resolve().parents[2] / "docs"
SKIP = re.compile(r"<!--\s*docs-test:\s*skip\s*\((?P<why>[^)]*)\)\s*-->\s*$")
BLOCK = re.compile(r"^```python[ \t]*\n(.*?)^```", flags=re.S | re.M)


def blocks(text: str) -> list[tuple[str, str | None]]:
    """(code, skip reason or None) of every python block of a markdown text."""
    out = []
    for m in BLOCK.finditer(text):
        before = text[:m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        s = SKIP.search(before)
        out.append((m.group(1), s.group("why").strip() if s else None))
    return out


def script(page: pathlib.Path) -> str:
    parts = []
    for i, (code, why) in enumerate(blocks(page.read_text())):
        if why is not None:
            assert why, f"{page.name} block {i}: a skipped block must say why"
            parts.append(f"# block {i} skipped: {why}\n")
        else:
            parts.append(f"# ---- {page.name} block {i}\n{code}")
    return "\n".join(parts)


PAGES = sorted(DOCS.glob("*.md"))


def test_block_parser():
    text = ("intro\n```python\na = 1\n```\n<!-- docs-test: skip (needs a GPU) -->\n```python\nb = 2\n```\n"
            "```bash\nls\n```\n```python\nc = 3\n```\n")
    assert blocks(text) == [("a = 1\n", None), ("b = 2\n", "needs a GPU"), ("c = 3\n", None)]


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_docs_page_runs_as_a_script(page, tmp_path):
    own = pathlib.Path(__file__).with_name(f"test_docs_{page.stem}.py")
    if own.exists():  # run there, with checks of its output; not twice
        pytest.skip(f"{page.name} runs in {own.name}")
    code = script(page)
    if not code.strip():
        pytest.skip(f"{page.name} has no python blocks")
    f = tmp_path / f"doc_{page.stem}.py"
    f.write_text(code)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    r = subprocess.run([sys.executable, str(f)], cwd=tmp_path, env=env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, f"{page.name} failed as a script:\n{r.stderr[-4000:]}"
