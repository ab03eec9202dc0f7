"""Serializing text, dicts, figures and images before they are logged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tracklog.client import _artifact_files as files
from tracklog.exceptions import InvalidArgument


def test_split_artifact_file() -> None:
    assert files.split_artifact_file("a.txt") == (None, "a.txt")
    assert files.split_artifact_file("dir/sub/a.txt") == ("dir/sub", "a.txt")
    for bad in ("", "dir/", "/abs.txt"):
        with pytest.raises(InvalidArgument):
            files.split_artifact_file(bad)


def test_staged_file_is_named_like_the_artifact() -> None:
    with files.staged_file("plots/loss.png") as (local, directory):
        assert local.name == "loss.png" and directory == "plots"
        local.write_bytes(b"x")
    assert not local.exists()


def test_dict_as_json_or_yaml(tmp_path: Path) -> None:
    data = {"b": 1, "a": [1, 2], "nested": {"x": "y"}}
    files.write_dict(tmp_path / "d.json", data)
    files.write_dict(tmp_path / "d.yaml", data)
    files.write_dict(tmp_path / "d.YML", data)
    assert json.loads((tmp_path / "d.json").read_text()) == data
    assert yaml.safe_load((tmp_path / "d.yaml").read_text()) == data
    assert list(yaml.safe_load((tmp_path / "d.YML").read_text())) == ["b", "a", "nested"]


def test_figure(tmp_path: Path) -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([1, 2, 3])
    files.write_figure(tmp_path / "f.png", fig)
    plt.close(fig)
    assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(InvalidArgument):
        files.write_figure(tmp_path / "x.png", object())


def test_images(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    image_mod = pytest.importorskip("PIL.Image")
    files.write_image(tmp_path / "gray.png", np.zeros((4, 5), dtype=np.uint8))
    files.write_image(tmp_path / "rgb.png", np.full((4, 5, 3), 0.5))
    files.write_image(tmp_path / "one.png", np.ones((4, 5, 1), dtype=np.int64) * 7)
    files.write_image(tmp_path / "pil.png", image_mod.new("RGB", (3, 2)))
    with image_mod.open(tmp_path / "rgb.png") as img:
        assert img.size == (5, 4) and img.getpixel((0, 0)) == (128, 128, 128)
    with image_mod.open(tmp_path / "pil.png") as img:
        assert img.size == (3, 2)
    for bad in (np.full((2, 2), 2.0), np.full((2, 2), 300), np.zeros((2, 2, 2)), np.zeros(3)):
        with pytest.raises(InvalidArgument):
            files.write_image(tmp_path / "bad.png", bad)
    with pytest.raises(InvalidArgument):
        files.write_image(tmp_path / "bad.png", [[0, 1]])
