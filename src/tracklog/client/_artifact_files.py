"""Turn in-memory objects (text, dicts, figures, images) into files to log as artifacts.

Optional libraries (PyYAML is a core dependency; numpy, Pillow, matplotlib are
not) are imported only when an object of theirs is logged.
"""

from __future__ import annotations

import json
import posixpath
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tracklog.exceptions import InvalidArgument

__all__ = ["split_artifact_file", "staged_file", "write_dict", "write_figure", "write_image", "write_text"]


def split_artifact_file(artifact_file: str) -> tuple[str | None, str]:
    """``"a/b/c.txt"`` -> (``"a/b"``, ``"c.txt"``); rejects empty names and absolute paths."""
    normalized = artifact_file.replace("\\", "/")
    if not normalized or normalized.endswith("/"):
        raise InvalidArgument(f"artifact_file must name a file, got {artifact_file!r}")
    if normalized.startswith("/"):
        raise InvalidArgument(f"artifact_file must be a relative path, got {artifact_file!r}")
    directory, name = posixpath.split(normalized)
    return (directory or None), name


@contextmanager
def staged_file(artifact_file: str) -> Iterator[tuple[Path, str | None]]:
    """A temporary local file named like ``artifact_file``, plus its artifact directory."""
    directory, name = split_artifact_file(artifact_file)
    with tempfile.TemporaryDirectory(prefix="tracklog-") as tmp:
        yield Path(tmp) / name, directory


def write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def write_dict(path: Path, dictionary: Any) -> None:
    """YAML for ``.yaml``/``.yml`` files, JSON (indented) for anything else."""
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        with path.open("w", encoding="utf-8") as fh:
            yaml.safe_dump(dictionary, fh, default_flow_style=False, sort_keys=False)
    else:
        with path.open("w", encoding="utf-8") as fh:
            json.dump(dictionary, fh, indent=2)


def write_figure(path: Path, figure: Any, **save_kwargs: Any) -> None:
    """A matplotlib figure (``savefig``) or a plotly figure (``write_html``/``write_image``)."""
    if hasattr(figure, "savefig"):
        figure.savefig(path, **save_kwargs)
    elif path.suffix.lower() == ".html" and hasattr(figure, "write_html"):
        figure.write_html(str(path), **save_kwargs)
    elif hasattr(figure, "write_image"):
        figure.write_image(str(path), **save_kwargs)
    else:
        raise InvalidArgument(f"log_figure expects a matplotlib or plotly figure, got {type(figure).__name__}")


def write_image(path: Path, image: Any) -> None:
    """A PIL image, or a numpy array (H,W), (H,W,1), (H,W,3) or (H,W,4) of ints or [0,1] floats."""
    try:
        from PIL import Image
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("log_image needs Pillow: pip install pillow") from exc
    if isinstance(image, Image.Image):
        image.save(path)
        return
    if type(image).__module__.split(".", 1)[0] == "numpy":
        Image.fromarray(_array_to_uint8(image)).save(path)
        return
    raise InvalidArgument(f"log_image expects a numpy array or a PIL image, got {type(image).__name__}")


def _array_to_uint8(array: Any) -> Any:
    import numpy as np

    arr = np.asarray(array)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (3, 4)):
        raise InvalidArgument(f"an image array must be (H,W), (H,W,1), (H,W,3) or (H,W,4), got {arr.shape}")
    if arr.dtype == np.bool_:
        return arr.astype(np.uint8) * 255
    if np.issubdtype(arr.dtype, np.floating):
        if arr.size and (np.nanmin(arr) < 0.0 or np.nanmax(arr) > 1.0):
            raise InvalidArgument("float image values must lie in [0, 1]")
        return np.nan_to_num(arr * 255.0).round().astype(np.uint8)
    if np.issubdtype(arr.dtype, np.integer):
        if arr.size and (arr.min() < 0 or arr.max() > 255):
            raise InvalidArgument("integer image values must lie in [0, 255]")
        return arr.astype(np.uint8)
    raise InvalidArgument(f"unsupported image dtype {arr.dtype}")
