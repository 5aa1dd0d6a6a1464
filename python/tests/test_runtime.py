"""The runtime against the CLI: the same arms, the same renders, the same
errors, from a real exported bundle."""

from __future__ import annotations

import inspect
import json
from collections import Counter
from pathlib import Path

import pytest

import promptreg
from conftest import ROOT, Registry, promptreg as cli, prompt_file


def test_load_serves_every_pinned_prompt_with_its_facts(bundle: Path, split_registry: Registry):
    reg = promptreg.load(bundle)
    assert reg.environment == "production"
    assert reg.names() == ["greet", "single", "team/ask"]
    assert "greet" in reg and "nope" not in reg and len(reg) == 3
    head = cli("log", "--format", "json", cwd=split_registry.path)  # the CLI runs here
    assert head.returncode == 0
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert reg.commit == manifest["registry_commit"]
    single = reg.get("single")
    assert (single.name, single.version, single.kind) == ("single", "0.1.0", "text")
    entry = next(f for f in manifest["files"] if f["name"] == "single")
    assert single.sha256 == entry["sha256"]
    assert single.commit == entry["commit"]
    assert single.blob == entry["blob"]
    assert single.reason == "Release 0.1.0."
    assert single.author == "Ada Lovelace <ada@example.com>"
    assert single.model == {
        "provider": "openai",
        "name": "gpt-4o-mini",
        "parameters": {"temperature": 0.2},
    }
    assert single.output is None
    ask = reg.get("team/ask", key="user-1")
    assert ask.variables == {
        "team": {"description": "Team", "default": "support", "required": False},
        "question": {"description": "The question", "default": None, "required": True},
    }


def test_pick_agrees_with_the_cli_on_ten_thousand_keys_across_two_splits(
    bundle: Path, split_registry: Registry
):
    reg = promptreg.load(bundle)
    keys = [f"user-{i}" for i in range(5000)]
    for name in ["greet", "team/ask"]:
        args = ["pick", name, "--env", "production", "--format", "json"]
        for k in keys:
            args += ["--key", k]
        report = json.loads(cli(*args, cwd=split_registry.path).stdout)
        assert report["split"] is True
        cli_versions = {a["key"]: a["version"] for a in report["assignments"]}
        assert len(cli_versions) == len(keys)
        for k in keys:
            assert reg.get(name, key=k).version == cli_versions[k], (name, k)
        for a in report["assignments"][:50]:
            assert promptreg.bucket(name, "production", a["key"]) == a["bucket"]


def test_split_shares_are_within_one_point_of_their_weights(bundle: Path):
    reg = promptreg.load(bundle)
    n = 100_000
    for name, weights in [("greet", {"1.0.0": 30, "1.1.0": 70}), ("team/ask", {"2.0.0": 50, "2.1.0": 50})]:
        counts = Counter(reg.get(name, key=f"session-{i}").version for i in range(n))
        assert set(counts) == set(weights)
        for version, weight in weights.items():
            share = 100 * counts[version] / n
            assert abs(share - weight) <= 1.0, (name, version, share)


def test_a_split_needs_a_key_and_a_single_pin_ignores_it(bundle: Path):
    reg = promptreg.load(bundle)
    with pytest.raises(promptreg.KeyRequiredError, match="greet is an A/B split"):
        reg.get("greet")
    assert reg.get("single", key="anything").version == reg.get("single").version
    with pytest.raises(promptreg.UnknownPromptError, match="no prompt `nope`"):
        reg.get("nope")
    assert issubclass(promptreg.KeyRequiredError, promptreg.Error)


def test_render_is_strict_and_applies_defaults(bundle: Path):
    reg = promptreg.load(bundle)
    ask = reg.get("team/ask", key="k")
    out = ask.render(question="Where is my invoice?")
    assert out[1] == {"role": "user", "content": "Where is my invoice?\n"}
    assert "support" in out[0]["content"]
    assert ask.render(question="q", team="billing")[0]["content"].count("billing") == 1
    with pytest.raises(promptreg.RenderError, match="missing required variable\\(s\\): question"):
        ask.render()
    with pytest.raises(promptreg.RenderError, match="unknown variable\\(s\\): colour"):
        ask.render(question="q", colour="red")
    text = reg.get("greet", key="k").render(user="Grace")
    assert isinstance(text, str) and text.endswith("Grace!")


def test_render_matches_the_cli_on_every_prompt_of_the_example_registry(tmp_path: Path):
    out = tmp_path / "example-bundle"
    cli("export", "--env", "production", "--out", str(out), cwd=ROOT)
    reg = promptreg.load(out)
    assert len(reg) >= 5
    for name in reg.names():
        prompt = reg.get(name, key="user-1")
        values = {}
        args = ["render", f"{name}@{prompt.version}", "--format", "json"]
        for var, info in prompt.variables.items():
            values[var] = f"<{var} value>\nwith a second line"
            args += ["--var", f"{var}={values[var]}"]
        expected = json.loads(cli(*args, cwd=ROOT).stdout)
        assert prompt.render(**values) == expected, name
        # Defaults only.
        required = {k: v for k, v in values.items() if prompt.variables[k]["required"]}
        args = ["render", f"{name}@{prompt.version}", "--format", "json"]
        for var, value in required.items():
            args += ["--var", f"{var}={value}"]
        assert prompt.render(**required) == json.loads(cli(*args, cwd=ROOT).stdout), name


def test_attributes_name_the_prompt_for_opentelemetry(bundle: Path):
    prompt = promptreg.load(bundle).get("single")
    attrs = prompt.attributes()
    assert attrs == {
        "gen_ai.prompt.name": "single",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "promptreg.prompt.version": "0.1.0",
        "promptreg.prompt.sha256": prompt.sha256,
        "promptreg.prompt.commit": prompt.commit,
        "promptreg.environment": "production",
    }

    class Span:
        def __init__(self):
            self.set = {}

        def set_attributes(self, attributes):
            self.set.update(attributes)

    span = Span()
    assert promptreg.set_span_attributes(prompt, span) == attrs
    assert span.set == attrs
    # With opentelemetry-api installed and no SDK, the current span is a
    # non-recording one: setting attributes on it is harmless.
    pytest.importorskip("opentelemetry.trace")
    assert promptreg.set_span_attributes(prompt) == attrs


def test_outcomes_flow_back_as_scores(bundle: Path, split_registry: Registry, tmp_path: Path):
    reg = promptreg.load(bundle)
    records = []
    for i in range(10):
        prompt = reg.get("greet", key=f"user-{i}")
        records.append(prompt.outcome("resolved", 1.0 if i % 2 else 0.0))
    assert records[0].keys() >= {"prompt", "version", "metric", "value", "timestamp", "sha256"}
    with pytest.raises(ValueError, match="not a metric name"):
        reg.get("single").outcome("bad metric", 1.0)
    with pytest.raises(ValueError, match="finite"):
        reg.get("single").outcome("ok", float("nan"))
    log = tmp_path / "outcomes.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in records))
    cli("score", "--from", str(log), cwd=split_registry.path)
    table = json.loads(cli("scores", "greet", "--format", "json", cwd=split_registry.path).stdout)
    by_version = {v["version"]: v["scores"] for v in table["versions"]}
    for version in {r["version"] for r in records}:
        mine = [r["value"] for r in records if r["version"] == version]
        got = by_version[version]["resolved"]
        assert got["samples"] == len(mine)
        assert abs(got["value"] - sum(mine) / len(mine)) < 1e-9


def test_open_registry_serves_the_working_tree(registry: Registry):
    registry.write("draft", prompt_file("0.2.0", template="Draft {{ x }}", variables={"x": {}}))
    reg = promptreg.open_registry(registry.path / "prompts")
    assert reg.environment is None and reg.commit is None
    draft = reg.get("draft", key="ignored")
    assert (draft.version, draft.commit) == ("0.2.0", None)
    assert draft.render(x="1") == "Draft 1"
    registry.write("draft", prompt_file("0.3.0", template="Draft {{ x }}!", variables={"x": {}}))
    reg.reload()
    assert reg.get("draft").render(x="2") == "Draft 2!"
    registry.write("broken", "version: [\n")
    with pytest.raises(promptreg.InvalidPromptError, match="broken"):
        reg.reload()
    assert reg.get("draft").version == "0.3.0"


def test_every_public_function_and_class_is_documented():
    for name in promptreg.__all__:
        obj = getattr(promptreg, name)
        assert inspect.getdoc(obj), name
    for cls in [promptreg.Registry, promptreg.Prompt]:
        for member, value in inspect.getmembers(cls):
            if not member.startswith("_"):
                assert inspect.getdoc(value), f"{cls.__name__}.{member}"
    assert (Path(promptreg.__file__).parent / "py.typed").exists()
    assert (Path(promptreg.__file__).parent / "_promptreg.pyi").exists()
