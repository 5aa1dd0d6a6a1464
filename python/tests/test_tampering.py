"""Twenty ways to tamper with a bundle; `load` and `reload` refuse each,
and a refused `reload` keeps serving the bundle it had."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Callable

import pytest

import promptreg
from conftest import copy_bundle


def manifest(b: Path) -> dict:
    return json.loads((b / "manifest.json").read_text())


def save(b: Path, m: dict) -> None:
    (b / "manifest.json").write_text(json.dumps(m, indent=2))


def edit(change: Callable[[dict], None]) -> Callable[[Path], None]:
    def apply(b: Path) -> None:
        m = manifest(b)
        change(m)
        save(b, m)

    return apply


def first_file(b: Path) -> Path:
    return b / manifest(b)["files"][0]["path"]


def change_bytes(b: Path) -> None:
    f = first_file(b)
    f.write_bytes(f.read_bytes().replace(b"Test prompt", b"Evil prompt"))


def append_byte(b: Path) -> None:
    with open(first_file(b), "ab") as f:
        f.write(b"\n")


def swap_files(b: Path) -> None:
    files = manifest(b)["files"]
    a, c = b / files[0]["path"], b / files[1]["path"]
    ta, tc = a.read_bytes(), c.read_bytes()
    a.write_bytes(tc)
    c.write_bytes(ta)


def remove_file(b: Path) -> None:
    first_file(b).unlink()


def edit_sha(m: dict) -> None:
    m["files"][0]["sha256"] = "0" * 64


def sha_of_other(m: dict) -> None:
    m["files"][0]["sha256"] = m["files"][1]["sha256"]


def dotdot(m: dict) -> None:
    m["files"][0]["path"] = "../" + m["files"][0]["path"]


def absolute(m: dict) -> None:
    m["files"][0]["path"] = "/etc/passwd"


def other_path(m: dict) -> None:
    m["files"][0]["path"] = m["files"][1]["path"]


def symlink_out(b: Path) -> None:
    f = first_file(b)
    outside = b.parent / "outside.prompt.yaml"
    outside.write_bytes(f.read_bytes())
    f.unlink()
    os.symlink(outside, f)


def symlink_dir(b: Path) -> None:
    m = manifest(b)
    entry = next(e for e in m["files"] if "/" in e["path"])
    directory = b / entry["path"].split("/")[0]
    moved = b.parent / "moved-dir"
    directory.rename(moved)
    os.symlink(moved, directory)


def newer_format(m: dict) -> None:
    m["manifest_version"] = 3


def no_format(m: dict) -> None:
    del m["manifest_version"]


def extra_listed(m: dict) -> None:
    extra = dict(m["files"][0])
    extra["version"] = "9.9.9"
    extra["path"] = extra["path"].rsplit("@", 1)[0] + "@9.9.9.prompt.yaml"
    m["files"].append(extra)


def pin_without_file(m: dict) -> None:
    m["prompts"]["single"] = "7.7.7"


def weights_off(m: dict) -> None:
    arms = m["prompts"]["greet"]["split"]
    arms[0]["weight"] += 5


def unknown_key(m: dict) -> None:
    m["signed_by"] = "nobody"


def version_relabelled(b: Path) -> None:
    # 1.0.0's bytes under 1.1.0's name, with a matching sha256: the file
    # carries another version than the manifest says.
    m = manifest(b)
    old = next(f for f in m["files"] if f["name"] == "greet" and f["version"] == "1.0.0")
    new = next(f for f in m["files"] if f["name"] == "greet" and f["version"] == "1.1.0")
    (b / new["path"]).write_bytes((b / old["path"]).read_bytes())
    new["sha256"] = old["sha256"]
    save(b, m)


def invalid_prompt(b: Path) -> None:
    m = manifest(b)
    f = b / m["files"][0]["path"]
    bad = b"version: [1, 2\n"
    f.write_bytes(bad)
    import hashlib

    m["files"][0]["sha256"] = hashlib.sha256(bad).hexdigest()
    save(b, m)


def manifest_garbage(b: Path) -> None:
    (b / "manifest.json").write_text("{ not json")


def manifest_removed(b: Path) -> None:
    (b / "manifest.json").unlink()


def version_is_a_path(m: dict) -> None:
    f = m["files"][0]
    f["version"] = "../../outside"
    f["path"] = f"{f['name']}@../../outside.prompt.yaml"


def environment_bad(m: dict) -> None:
    m["environment"] = "Prod:"


TAMPERING = {
    "changed bytes": (change_bytes, promptreg.IntegrityError),
    "one byte appended": (append_byte, promptreg.IntegrityError),
    "two files swapped": (swap_files, promptreg.IntegrityError),
    "a file removed": (remove_file, promptreg.IntegrityError),
    "a manifest sha256 edited": (edit(edit_sha), promptreg.IntegrityError),
    "another file's sha256": (edit(sha_of_other), promptreg.IntegrityError),
    "a path with ..": (edit(dotdot), promptreg.IntegrityError),
    "an absolute path": (edit(absolute), promptreg.IntegrityError),
    "another file's path": (edit(other_path), promptreg.IntegrityError),
    "a symlink out of the bundle": (symlink_out, promptreg.IntegrityError),
    "a directory symlinked out": (symlink_dir, promptreg.IntegrityError),
    "a manifest of a newer format": (edit(newer_format), promptreg.UnsupportedFormatError),
    "a manifest without a format": (edit(no_format), promptreg.ManifestError),
    "an extra file referenced": (edit(extra_listed), promptreg.BundleError),
    "a pin without a file": (edit(pin_without_file), promptreg.ManifestError),
    "split weights not 100": (edit(weights_off), promptreg.ManifestError),
    "an unknown manifest key": (edit(unknown_key), promptreg.ManifestError),
    "a version relabelled": (version_relabelled, promptreg.InvalidPromptError),
    "an invalid prompt file": (invalid_prompt, promptreg.InvalidPromptError),
    "manifest not JSON": (manifest_garbage, promptreg.ManifestError),
    "manifest removed": (manifest_removed, promptreg.ManifestError),
    "a bad environment name": (edit(environment_bad), promptreg.ManifestError),
    "a version that is a path": (edit(version_is_a_path), promptreg.BundleError),
}


def test_there_are_at_least_twenty_kinds():
    assert len(TAMPERING) >= 20


@pytest.mark.parametrize("kind", sorted(TAMPERING))
def test_load_refuses(kind: str, bundle: Path, tmp_path: Path):
    tamper, error = TAMPERING[kind]
    target = copy_bundle(bundle, tmp_path / "tampered")
    tamper(target)
    with pytest.raises(error) as caught:
        promptreg.load(target)
    assert isinstance(caught.value, promptreg.BundleError)
    assert isinstance(caught.value, promptreg.Error)
    assert caught.value.problems, kind
    if error is promptreg.IntegrityError:
        assert caught.value.path, "the error names the file"
        assert caught.value.path in str(caught.value)


@pytest.mark.parametrize("kind", sorted(TAMPERING))
def test_reload_refuses_and_keeps_serving(kind: str, bundle: Path, tmp_path: Path):
    tamper, error = TAMPERING[kind]
    live = copy_bundle(bundle, tmp_path / "live")
    reg = promptreg.load(live)
    before = reg.get("greet", key="k").render(user="A")
    target = copy_bundle(bundle, tmp_path / "next")
    tamper(target)
    with pytest.raises(error):
        reg.reload(target)
    assert reg.path == live
    assert reg.get("greet", key="k").render(user="A") == before


def test_the_cli_verify_refuses_what_load_refuses(bundle: Path, tmp_path: Path, split_registry):
    from conftest import promptreg as cli

    assert cli("verify", "--against", str(bundle), cwd=split_registry.path).returncode == 0
    for kind in ["changed bytes", "a file removed", "a manifest of a newer format"]:
        target = copy_bundle(bundle, tmp_path / kind.replace(" ", "-"))
        TAMPERING[kind][0](target)
        done = cli("verify", "--against", str(target), cwd=split_registry.path, check=False)
        assert done.returncode != 0, kind


def test_nothing_unlisted_is_read(bundle: Path, tmp_path: Path):
    target = copy_bundle(bundle, tmp_path / "extra")
    (target / "unlisted.prompt.yaml").write_text("version: [broken\n")
    (target / "notes.txt").write_text("deploy notes")
    reg = promptreg.load(target)
    assert "unlisted" not in reg
