"""A bundle with partials: the runtime renders a prompt with exactly the
partial versions `prompts.lock` pinned, as the CLI does."""

from __future__ import annotations

import json
from pathlib import Path

import promptreg
from conftest import Registry, promptreg as cli

ENTRY = """changelog:
  - version: 1.0.0
    date: "2026-03-01T10:00:00Z"
    author: Ada Lovelace <ada@example.com>
    reason: First.
"""


def test_a_bundle_renders_with_its_pinned_partials(registry: Registry, tmp_path: Path):
    registry.config({"production": {"*": "latest"}})
    registry.write(
        "shared/voice",
        "version: 1.0.0\npartial: true\nvariables:\n  company:\n    default: Acme\n"
        "template: |\n  Speak as {{ company }}.\n" + ENTRY,
    )
    registry.write(
        "support/reply",
        'version: 1.0.0\npartials:\n  shared/voice: "^1"\nvariables:\n  who: {}\n'
        'template: |\n  {% include "shared/voice" %}Answer {{ who }}.\n' + ENTRY,
    )
    registry.commit("prompts").lock()
    bundle = registry.export("production", tmp_path / "bundle")
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert [p["name"] for p in manifest["partials"]] == ["shared/voice"]
    reg = promptreg.load(bundle)
    assert reg.names() == ["support/reply"]
    rendered = reg.get("support/reply").render(who="Bo", company="Initech")
    expected = cli(
        "render", "support/reply@1.0.0", "--var", "who=Bo", "--var", "company=Initech",
        "--format", "json", cwd=registry.path,
    )
    assert rendered == json.loads(expected.stdout)
    assert rendered == "Speak as Initech.\nAnswer Bo.\n"


def test_open_registry_renders_with_the_working_tree_partials(registry: Registry):
    registry.write(
        "shared/voice",
        "version: 1.0.0\npartial: true\ntemplate: |\n  Speak plainly.\n" + ENTRY,
    )
    registry.write(
        "support/reply",
        'version: 1.0.0\npartials:\n  shared/voice: "^1"\n'
        'template: |\n  {% include "shared/voice" %}Hi.\n' + ENTRY,
    )
    dev = promptreg.open_registry(registry.path)
    assert dev.names() == ["support/reply"]
    assert dev.get("support/reply").render() == "Speak plainly.\nHi.\n"
    (registry.path / "prompts" / "shared" / "voice.prompt.yaml").write_text(
        "version: 1.0.1\npartial: true\ntemplate: |\n  Speak kindly.\n" + ENTRY.replace("1.0.0", "1.0.1", 1)
    )
    dev.reload()
    assert dev.get("support/reply").render() == "Speak kindly.\nHi.\n"
