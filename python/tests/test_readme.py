"""The README's Python example runs as written."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, promptreg as cli


def test_the_readme_example_runs(tmp_path: Path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Serving prompts from Python", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert blocks, "the section has a Python example"
    cli("export", "--env", "production", "--out", str(tmp_path / "build" / "prompts"), cwd=ROOT)
    (tmp_path / "app.py").write_text(blocks[0])
    done = subprocess.run(
        [sys.executable, "app.py"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("support/triage ")
    record = json.loads((tmp_path / "outcomes.jsonl").read_text().splitlines()[0])
    assert record["prompt"] == "support/triage" and record["metric"] == "resolved"
