"""Fixtures: real registries in temporary Git repositories, built and
exported with the real promptreg binary ($PROMPTREG_BIN)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Iterable, Optional

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("PROMPTREG_BIN", str(ROOT / "target" / "debug" / "promptreg"))

ENV = {
    **{k: v for k, v in os.environ.items() if not k.startswith("GIT_")},
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_AUTHOR_NAME": "Ada Lovelace",
    "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_COMMITTER_NAME": "Ada Lovelace",
    "GIT_COMMITTER_EMAIL": "ada@example.com",
    "NO_COLOR": "1",
}


def promptreg(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess:
    """Runs the promptreg binary; fails the test on an unexpected exit."""
    done = subprocess.run(
        [BIN, *args], cwd=cwd, env=ENV, capture_output=True, text=True, check=False
    )
    if check and done.returncode != 0:
        raise AssertionError(
            f"promptreg {' '.join(args)} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
        )
    return done


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, env=ENV, capture_output=True, text=True, check=True
    ).stdout


def prompt_file(
    version: str,
    *,
    template: Optional[str] = None,
    messages: Optional[list] = None,
    variables: Optional[dict] = None,
    history: Iterable[str] = (),
    model: bool = True,
) -> str:
    """A valid prompt file at `version`; `history` lists older versions."""
    doc: dict = {"version": version, "description": f"Test prompt at {version}."}
    if model:
        doc["model"] = {
            "provider": "openai",
            "name": "gpt-4o-mini",
            "parameters": {"temperature": 0.2},
        }
    doc["variables"] = variables or {}
    if template is not None:
        doc["template"] = template
    else:
        doc["messages"] = messages or [{"role": "user", "content": "Hello"}]
    doc["changelog"] = [
        {
            "version": v,
            "date": "2026-11-20T10:04:00Z",
            "author": "Ada Lovelace <ada@example.com>",
            "reason": f"Release {v}.",
        }
        for v in [version, *history]
    ]
    # JSON is YAML: the file parses as the same document either way.
    return json.dumps(doc, indent=2) + "\n"


class Registry:
    """A registry in a temporary Git repository."""

    def __init__(self, path: Path):
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        promptreg("init", str(path), cwd=path.parent)

    def config(self, environments: dict) -> "Registry":
        text = json.dumps({"prompts_dir": "prompts", "environments": environments}, indent=2)
        (self.path / "promptreg.yaml").write_text(text + "\n")
        return self

    def write(self, name: str, content: str) -> "Registry":
        file = self.path / "prompts" / f"{name}.prompt.yaml"
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(content)
        return self

    def commit(self, message: str) -> "Registry":
        git("add", "-A", cwd=self.path)
        git("commit", "-q", "-m", message, cwd=self.path)
        return self

    def lock(self) -> "Registry":
        promptreg("lock", cwd=self.path)
        return self.commit("Lock")

    def export(self, env: str, out: Path) -> Path:
        promptreg("export", "--env", env, "--out", str(out), "--force", cwd=self.path)
        return out


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    return Registry(tmp_path / "registry")


@pytest.fixture
def split_registry(tmp_path: Path) -> Registry:
    """Two prompts, each split between two released versions in
    `production`; `single` pinned once; a text and a chat prompt."""
    reg = Registry(tmp_path / "split-registry")
    reg.config(
        {
            "production": {
                "greet": {"split": {"=1.0.0": 30, "=1.1.0": 70}},
                "team/ask": {"split": {"=2.0.0": 50, "=2.1.0": 50}},
                "*": "latest",
            },
            "staging": {"*": "latest"},
        }
    )
    greet_vars = {"user": {"description": "Who to greet"}}
    reg.write("greet", prompt_file("1.0.0", template="Hello, {{ user }}!", variables=greet_vars))
    reg.write(
        "team/ask",
        prompt_file(
            "2.0.0",
            messages=[
                {"role": "system", "content": "You answer for {{ team }}."},
                {"role": "user", "content": "{{ question }}\n"},
            ],
            variables={
                "team": {"description": "Team", "default": "support"},
                "question": {"description": "The question"},
            },
        ),
    )
    reg.write("single", prompt_file("0.1.0", template="Just one.\n"))
    reg.commit("First versions")
    reg.write(
        "greet",
        prompt_file("1.1.0", template="Hello there, {{ user }}!", variables=greet_vars, history=["1.0.0"]),
    )
    reg.write(
        "team/ask",
        prompt_file(
            "2.1.0",
            messages=[
                {"role": "system", "content": "You answer for the {{ team }} team."},
                {"role": "user", "content": "{{ question }}\n"},
            ],
            variables={
                "team": {"description": "Team", "default": "support"},
                "question": {"description": "The question"},
            },
            history=["2.0.0"],
        ),
    )
    reg.commit("Second versions")
    return reg.lock()


@pytest.fixture
def bundle(split_registry: Registry, tmp_path: Path) -> Path:
    return split_registry.export("production", tmp_path / "bundle")


def copy_bundle(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, symlinks=True)
    return dst
