"""Few-shot image data sets: fetching, checking and preprocessing into one compact format.

The compact format (`save_images`/`load_images`): an .npz holding `images`, uint8
[classes, examples, H, W, C], and `classes`, the class names in the same order.
"""
import pathlib

import numpy as np


class DataError(RuntimeError):
    """Data missing, incomplete or corrupt; the message says what to fetch and where to put it."""


def save_images(path: pathlib.Path, images: np.ndarray, classes: list[str],
                compress: bool = True) -> None:
    """Write atomically (compression pays for binary Omniglot, not for photos)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    (np.savez_compressed if compress else np.savez)(tmp, images=images, classes=np.array(classes))
    tmp.replace(path)


def load_images(path: pathlib.Path, classes: list[str] | None = None) -> np.ndarray:
    """The images of `classes` (all if None), in that order: uint8 [classes, examples, H, W, C]."""
    if not path.exists():
        raise DataError(f"{path} not found: run `dvc repro` (its preprocess stage writes it)")
    with np.load(path) as data:
        images, names = data["images"], [str(c) for c in data["classes"]]
    if classes is None:
        return images
    where = {c: i for i, c in enumerate(names)}
    missing = [c for c in classes if c not in where]
    if missing:
        raise DataError(f"{path} lacks {len(missing)} classes of the split, e.g. {missing[:3]}: "
                        "it was made from other data; run its preprocess stage again")
    return images[[where[c] for c in classes]]
