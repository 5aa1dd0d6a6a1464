"""`Prompt.render` against `promptreg render --format json` on generated
prompts: defaults, conditionals, loops, whitespace control and every kind
of trailing newline."""

from __future__ import annotations

import json
import random
from pathlib import Path

import promptreg
from conftest import Registry, promptreg as cli, prompt_file

ENDINGS = ["", "\n", "\n\n", " ", "\n  ", "\r\n"]

PIECES = [
    ("Hello {{ user }}", {"user": {"description": "Who"}}),
    ("{% if formal %}Dear{% else %}Hi{% endif %} {{ user }}", {"user": {}, "formal": {"default": False}}),
    ("{% for item in items %}- {{ item }}\n{% endfor %}", {"items": {"default": ["a", "b"]}}),
    ("{%- for item in items -%} [{{ loop.index }}:{{ item }}] {%- endfor %}", {"items": {}}),
    ("Tone: {{ tone }}", {"tone": {"default": "neutral"}}),
    ("{{ count }} item(s){% if count > 1 %}, plural{% endif %}", {"count": {"default": 2}}),
    ("{{ user | upper }} / {{ user | length }}", {"user": {}}),
    ("{% set shout = user ~ '!' %}{{ shout }}", {"user": {}}),
    ("Line one\n\nLine {{ n }}\n", {"n": {"default": 3}}),
    ("{{ meta.team }} owns {{ meta.area }}", {"meta": {"default": {"team": "core", "area": "billing"}}}),
    ("Plain text with no variable at all.", {}),
    ("{% raw %}{{ not a variable }}{% endraw %}", {}),
]


def generate(rng: random.Random, i: int) -> tuple[str, dict, dict]:
    """A template, its variables and the values a caller passes."""
    parts = rng.sample(PIECES, rng.randint(1, 4))
    sep = rng.choice(["\n", " ", "\n\n", ""])
    template = sep.join(p for p, _ in parts) + rng.choice(ENDINGS)
    variables: dict = {}
    for _, vs in parts:
        for name, spec in vs.items():
            variables.setdefault(name, {"description": f"{name} of prompt {i}", **spec})
    values: dict = {}
    for name, spec in variables.items():
        required = "default" not in spec
        if required or rng.random() < 0.5:
            values[name] = {
                "user": rng.choice(["Ada", "Grace Hopper", "ünïcode ✓", "two\nlines"]),
                "items": rng.choice([["x"], ["x", "y", "z"], []]),
                "formal": rng.choice([True, False]),
                "tone": rng.choice(["formal", "warm\n"]),
                "count": rng.choice([0, 1, 5, 2.5]),
                "n": rng.choice([1, 10]),
                "meta": {"team": "ml", "area": "search"},
            }[name]
    return template, variables, values


def test_two_hundred_generated_versions_render_as_the_cli_renders(registry: Registry, tmp_path: Path):
    rng = random.Random(20261201)
    cases = {}
    for i in range(200):
        template, variables, values = generate(rng, i)
        name = f"gen/p{i:03d}"
        if i % 3 == 0:
            messages = [
                {"role": "system", "content": "System for " + str(i) + rng.choice(ENDINGS)},
                {"role": "user", "content": template},
            ]
            registry.write(name, prompt_file(f"1.{i}.0", messages=messages, variables=variables))
        else:
            registry.write(name, prompt_file(f"1.{i}.0", template=template, variables=variables))
        cases[name] = values
    reg = promptreg.open_registry(registry.path)
    assert len(reg) == 200
    for name, values in cases.items():
        vars_file = tmp_path / "vars.json"
        vars_file.write_text(json.dumps(values))
        done = cli("render", name, "--format", "json", "--vars-file", str(vars_file), cwd=registry.path)
        expected = json.loads(done.stdout)
        got = reg.get(name).render(**values)
        assert got == expected, (name, values)
