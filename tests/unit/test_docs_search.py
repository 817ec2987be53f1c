"""docs/search.md: its python blocks run, in order, as one script (as a reader would paste them)."""
from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

import pytest

DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "search.md"


@pytest.mark.slow
def test_docs_search_blocks_run_as_a_script(tmp_path):
    pytest.importorskip("torch")
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(blocks) >= 4
    script = tmp_path / "search_doc.py"
    script.write_text("\n".join(blocks))
    env = {**os.environ, "FASTNAS_CACHE": str(tmp_path / "cache"), "OMP_NUM_THREADS": "1"}
    r = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "[10, 32, 98]" in r.stdout
    assert (tmp_path / "sim-out" / "regret_mean.png").exists()
    assert (tmp_path / "sim-mf" / "regret_mean_time.png").exists()
