"""Figures for the Python runtime (run through scripts/bench-python).

1. get + render of the example registry's chat prompt (support/triage),
   against Jinja2 rendering the same message templates, compiled once, with
   the same variables and defaults: the work an application does per call.
2. load of a bundle of 1,000 prompts (every file read, sha256-checked and
   parsed), generated into a temporary Git repository and exported.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import jinja2

import promptreg

ROOT = Path(__file__).resolve().parents[1]


def run(bin_: str, *args: str, cwd: Path) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
           "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}
    subprocess.run([bin_, *args], cwd=cwd, env=env, check=True, capture_output=True)


def git(*args: str, cwd: Path) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
           "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


def per_call(fn, rounds: int, calls: int) -> float:
    """Median over `rounds` of the mean seconds per call."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        times.append((time.perf_counter() - start) / calls)
    return statistics.median(times)


def bench_render(bin_: str, rounds: int, work: Path) -> dict:
    import yaml

    out = work / "example-bundle"
    run(bin_, "export", "--env", "production", "--out", str(out), cwd=ROOT)
    reg = promptreg.load(out)
    name = "support/triage"
    prompt = reg.get(name)
    values = {"ticket": "Subject: cannot log in\nI reset my password twice and still get an error."}

    # Jinja2 with the settings promptreg renders with: strict undefined,
    # the trailing newline kept, no escaping; templates compiled once.
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    doc = yaml.safe_load((out / f"{name}@{prompt.version}.prompt.yaml").read_text())
    compiled = [(m["role"], env.from_string(m["content"])) for m in doc["messages"]]
    defaults = {k: v["default"] for k, v in doc["variables"].items() if "default" in v}

    def jinja() -> list:
        context = {**defaults, **values}
        return [{"role": role, "content": t.render(context)} for role, t in compiled]

    def ours() -> list:
        return reg.get(name).render(**values)

    assert ours() == jinja(), "the two renders differ"
    calls = 20_000
    a = per_call(ours, rounds, calls)
    b = per_call(jinja, rounds, calls)
    return {"promptreg": a, "jinja2": b}


def make_bundle(bin_: str, work: Path, prompts: int) -> Path:
    reg = work / "registry"
    reg.mkdir()
    run(bin_, "init", str(reg), cwd=work)
    body = (ROOT / "prompts" / "support" / "triage.prompt.yaml").read_text()
    for i in range(prompts):
        f = reg / "prompts" / f"team{i % 20:02d}" / f"prompt-{i:04d}.prompt.yaml"
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(body.replace("support triage assistant", f"assistant number {i}"))
    git("add", "-A", cwd=reg)
    git("commit", "-q", "-m", "Prompts", cwd=reg)
    run(bin_, "lock", cwd=reg)
    git("add", "-A", cwd=reg)
    git("commit", "-q", "-m", "Lock", cwd=reg)
    out = work / "bundle"
    run(bin_, "export", "--env", "production", "--out", str(out), cwd=reg)
    return out


def bench_load(bin_: str, rounds: int, work: Path) -> dict:
    out = make_bundle(bin_, work, 1000)
    files = list(out.rglob("*.prompt.yaml"))
    size = sum(f.stat().st_size for f in files)
    assert len(promptreg.load(out)) == 1000
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        promptreg.load(out)
        times.append(time.perf_counter() - start)
    return {"median": statistics.median(times), "min": min(times), "files": len(files), "bytes": size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bin", required=True, help="the promptreg binary")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        r = bench_render(args.bin, args.rounds, work)
        l = bench_load(args.bin, args.rounds, work)
    ratio = r["promptreg"] / r["jinja2"]
    print("| workload | promptreg | reference | ratio | goal |")
    print("|---|---|---|---|---|")
    print(
        f"| get + render support/triage (chat, 2 messages) | {r['promptreg'] * 1e6:.1f} µs "
        f"| Jinja2 {r['jinja2'] * 1e6:.1f} µs | {ratio:.2f} | ≤ 1.0 |"
    )
    print(
        f"| load a bundle of {l['files']} prompts ({l['bytes'] / 1e6:.1f} MB) | {l['median'] * 1e3:.1f} ms "
        f"(min {l['min'] * 1e3:.1f}) | - | - | < 100 ms |"
    )


if __name__ == "__main__":
    main()
