"""MiniImageNet (Vinyals et al. 2016) with Ravi & Larochelle's split: check a user's images, resize.

The images are ImageNet's and cannot be distributed, so the user supplies a folder in one of the
common layouts, every image named as in the split CSVs (`n0153282900000005.jpg`):
- flat: `<folder>/<file>` (the 60,000 JPEGs of Ravi's `images.zip`);
- per class: `<folder>/<wnid>/<file>`;
- per split and class: `<folder>/<train|val|test>/<wnid>/<file>`.
Every file every CSV names is checked before anything is written. Images are resized to 84×84
RGB with PIL LANCZOS (cbfinn/maml), stored uint8 [classes, 600, 84, 84, 3] per split.
"""
import csv
import pathlib

import numpy as np

from benchmark.datasets import DataError

SPLITS = ("train", "val", "test")
IMAGE_SIZE = 84
CLASSES = {"train": 64, "val": 16, "test": 20}  # the paper's "64/12/24" is a typo
IMAGES_PER_CLASS = 600

HOW_TO_GET = (
    "MiniImageNet's images are ImageNet's and cannot be shipped. Get the 60,000 JPEGs named as in "
    "Ravi & Larochelle's split CSVs (their images.zip, or build them from the ILSVRC-2012 train set "
    "with a mini-ImageNet tool that follows those CSVs) and put them in {folder} (flat, or one "
    "folder per class, or <split>/<class>/), or set fewshot.miniimagenet.images in params.yaml to "
    "where they are. Then run `dvc repro miniimagenet_prepare`."
)


def read_split(splits_dir: pathlib.Path, split: str) -> dict[str, list[str]]:
    """{wnid: [file names]} of one split's CSV, classes and files in the CSV's order."""
    path = splits_dir / f"{split}.csv"
    if not path.exists():
        raise DataError(f"{path} not found: point fewshot.miniimagenet.splits at the folder with "
                        "Ravi & Larochelle's train.csv, val.csv and test.csv")
    classes: dict[str, list[str]] = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            classes.setdefault(row["label"], []).append(row["filename"])
    return classes


def locate(folder: pathlib.Path, split: str, wnid: str, name: str) -> pathlib.Path | None:
    for candidate in (folder / name, folder / wnid / name, folder / split / wnid / name):
        if candidate.is_file():
            return candidate
    return None


def check(folder: pathlib.Path, splits_dir: pathlib.Path) -> dict[str, dict[str, list[pathlib.Path]]]:
    """Every split's {wnid: [image paths]}; DataError naming what is missing and how to get it."""
    if not folder.is_dir():
        raise DataError(f"MiniImageNet image folder {folder} does not exist. "
                        + HOW_TO_GET.format(folder=folder))
    found, missing, total = {}, [], 0
    for split in SPLITS:
        classes = read_split(splits_dir, split)
        if len(classes) != CLASSES[split]:
            raise DataError(f"{splits_dir}/{split}.csv has {len(classes)} classes, expected "
                            f"{CLASSES[split]}: use Ravi & Larochelle's unchanged split files")
        found[split] = {}
        for wnid, names in classes.items():
            total += len(names)
            paths = [locate(folder, split, wnid, n) for n in names]
            missing += [n for n, p in zip(names, paths, strict=True) if p is None]
            found[split][wnid] = paths
    if missing:
        raise DataError(f"{len(missing)} of the {total} MiniImageNet images the split CSVs name are "
                        f"not in {folder} (e.g. {', '.join(missing[:3])}). "
                        + HOW_TO_GET.format(folder=folder))
    return found


def load_split(paths_by_class: dict[str, list[pathlib.Path]], size: int = IMAGE_SIZE) -> np.ndarray:
    """uint8 [classes, images, size, size, 3], classes and images in the CSV's order."""
    from PIL import Image

    def load(path: pathlib.Path) -> np.ndarray:
        try:
            with Image.open(path) as im:
                return np.asarray(im.convert("RGB").resize((size, size), resample=Image.LANCZOS))
        except OSError as e:
            raise DataError(f"{path} is not a readable image ({e}); replace it and run again") from e

    return np.stack([np.stack([load(p) for p in paths]) for paths in paths_by_class.values()])
