"""Every ```python block of README.md runs, in order, in one namespace (the README's promise)."""
from __future__ import annotations

import pathlib
import re

import pytest

README = pathlib.Path(__file__).resolve().parents[2] / "README.md"


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_has_examples_for_every_area():
    text = "\n".join(_blocks())
    for needle in ("NB101", "NB201", "DARTS", "NBGraph", "load(", "make(", "predictors.make", "zc.score"):
        assert needle in text, needle


def test_readme_python_blocks_run(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FASTNAS_CACHE", str(tmp_path / "cache"))
    ns: dict = {"__name__": "readme"}
    for i, block in enumerate(_blocks()):
        try:
            exec(compile(block, f"README.md block {i}", "exec"), ns)
        except Exception as exc:  # pragma: no cover - the message names the block
            raise AssertionError(f"README python block {i} failed: {type(exc).__name__}: {exc}\n{block}") from exc
