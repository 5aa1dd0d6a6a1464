"""Reload under load: readers on many threads never see a mix of two
bundles, and never an exception."""

from __future__ import annotations

import threading
from pathlib import Path

import promptreg
from conftest import Registry, prompt_file


def bundle_pair(tmp_path: Path) -> tuple[Path, Path]:
    reg = Registry(tmp_path / "reload-registry")
    reg.config({"production": {"*": "latest"}})
    variables = {"user": {"description": "Who"}}
    reg.write("a", prompt_file("1.0.0", template="A one {{ user }}", variables=variables))
    reg.write("b", prompt_file("1.0.0", messages=[{"role": "user", "content": "B one {{ user }}"}], variables=variables))
    reg.commit("One").lock()
    first = reg.export("production", tmp_path / "first")
    reg.write("a", prompt_file("1.1.0", template="A two {{ user }}", variables=variables, history=["1.0.0"]))
    reg.write(
        "b",
        prompt_file(
            "1.1.0",
            messages=[{"role": "user", "content": "B two {{ user }}"}],
            variables=variables,
            history=["1.0.0"],
        ),
    )
    reg.commit("Two").lock()
    second = reg.export("production", tmp_path / "second")
    return first, second


def observe(prompt: promptreg.Prompt) -> tuple:
    rendered = prompt.render(user="x")
    text = rendered if isinstance(rendered, str) else rendered[0]["content"]
    return (prompt.name, prompt.version, prompt.sha256, text)


def test_readers_see_one_bundle_or_the_other(tmp_path: Path):
    first, second = bundle_pair(tmp_path)
    expected = {}
    for path in (first, second):
        reg = promptreg.load(path)
        expected[path] = {observe(reg.get(n)) for n in ("a", "b")}
    assert expected[first].isdisjoint(expected[second])

    reg = promptreg.load(first)
    stop = threading.Event()
    errors: list[BaseException] = []
    seen: list[set] = []

    def reader() -> None:
        mine: set = set()
        try:
            while not stop.is_set():
                for name in ("a", "b"):
                    mine.add(observe(reg.get(name, key="user")))
        except BaseException as e:  # noqa: BLE001 - any failure fails the test
            errors.append(e)
        seen.append(mine)

    threads = [threading.Thread(target=reader) for _ in range(8)]
    for t in threads:
        t.start()
    for i in range(100):
        reg.reload(second if i % 2 == 0 else first)
    stop.set()
    for t in threads:
        t.join()
    assert not errors, errors
    everything = set().union(*seen)
    allowed = expected[first] | expected[second]
    assert everything <= allowed, everything - allowed
    # A prompt object is one version's whole: name, version, sha256 and text
    # always come together (checked above); both bundles were served.
    assert everything & expected[first] and everything & expected[second]
