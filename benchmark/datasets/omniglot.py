"""Omniglot (Lake et al. 2015): verify the official archives by content, make 28×28 arrays, split.

Verification is by content, not by zip bytes: the digest covers every PNG's path and bytes, so the
official zips and a re-zipped mirror of the same files both pass, and a truncated or corrupted
archive (bad zip, CRC error, missing or changed file) fails with a message that says what to do.

Preprocessing follows cbfinn/maml: PIL `resize((28, 28), LANCZOS)` of the 105×105 1-bit PNGs,
then pixel/255 inverted (strokes 1, background 0). Note that PIL resizes 1-bit images with
nearest-neighbour whatever filter is asked for; calling PIL the same way keeps the reference's
pixels exactly. The arrays are stored as uint8 0/1.

Split (cbfinn/maml data_generator: `random.seed(1); random.shuffle(folders)`; first 1100 train,
next 100 validation, last 423 test): the reference shuffles `os.listdir` order, which depends on
the file system, so its exact split cannot be recovered. We shuffle the *sorted* character list
with Python's `random.Random(1)`, which gives the same split everywhere, and commit it.
"""
import hashlib
import io
import pathlib
import random
import zipfile

import numpy as np

from benchmark.datasets import DataError

OFFICIAL_SOURCE = "https://github.com/brendenlake/omniglot/raw/master/python"
ARCHIVES = ("images_background.zip", "images_evaluation.zip")
# sha256 over "path\tsha256(bytes)\n" of every PNG, sorted by path (see `content_digest`).
CONTENT_DIGESTS = {
    "images_background.zip": "75288906d655255988a488b7e81923d9c2194356d17b82642d9c51b19bd58594",
    "images_evaluation.zip": "8e90acd002099b58eaaf049e5d5d404f36553a151330c05a2c9c30cde54f4d42",
}
PNG_COUNTS = {"images_background.zip": 19280, "images_evaluation.zip": 13180}
NUM_CHARACTERS, DRAWINGS = 1623, 20
SPLIT_SIZES = {"train": 1100, "val": 100, "test": 423}
SPLIT_SEED = 1
IMAGE_SIZE = 28


def content_digest(path: pathlib.Path) -> tuple[str, int]:
    """(digest, number of PNGs) of an archive; DataError when it is not a readable zip."""
    try:
        with zipfile.ZipFile(path) as z:
            lines = []
            for info in sorted(z.infolist(), key=lambda i: i.filename):
                if info.filename.endswith(".png"):
                    lines.append(f"{info.filename}\t{hashlib.sha256(z.read(info)).hexdigest()}\n")
    except (zipfile.BadZipFile, OSError, EOFError) as e:  # truncated, CRC mismatch, not a zip
        raise DataError(f"{path} is corrupt or truncated ({e}); delete it and fetch it again "
                        f"(`dvc repro omniglot_fetch`)") from e
    return hashlib.sha256("".join(lines).encode()).hexdigest(), len(lines)


def verify(path: pathlib.Path) -> None:
    """Raise DataError unless `path` holds exactly the official Omniglot PNGs of its set."""
    if not path.exists():
        raise DataError(f"{path} not found: set omniglot.source in params.yaml to the folder or URL "
                        f"that holds {', '.join(ARCHIVES)} (official: {OFFICIAL_SOURCE})")
    digest, count = content_digest(path)
    if digest != CONTENT_DIGESTS[path.name]:
        raise DataError(f"{path}: its {count} PNGs (expected {PNG_COUNTS[path.name]}) differ from "
                        "the official Omniglot images; delete it and fetch the official archive "
                        f"from {OFFICIAL_SOURCE}")


def read_characters(archives: list[pathlib.Path]) -> tuple[list[str], np.ndarray]:
    """All characters as ("Alphabet/characterNN", uint8 [chars, 20, 28, 28, 1]), sorted by name."""
    from PIL import Image

    drawings: dict[str, list[tuple[str, np.ndarray]]] = {}
    for path in archives:
        with zipfile.ZipFile(path) as z:
            for name in sorted(n for n in z.namelist() if n.endswith(".png")):
                _, alphabet, character, file = name.split("/")
                with Image.open(io.BytesIO(z.read(name))) as im:
                    small = im.resize((IMAGE_SIZE, IMAGE_SIZE), resample=Image.LANCZOS)
                    pixels = np.asarray(small.convert("L"), dtype=np.float32) / 255.0
                drawings.setdefault(f"{alphabet}/{character}", []).append(
                    (file, (1.0 - pixels).round().astype(np.uint8)))
    names = sorted(drawings)
    if len(names) != NUM_CHARACTERS or any(len(d) != DRAWINGS for d in drawings.values()):
        raise DataError(f"expected {NUM_CHARACTERS} characters with {DRAWINGS} drawings each, "
                        f"found {len(names)}: fetch both archives again")
    images = np.stack([np.stack([a for _, a in sorted(drawings[n])]) for n in names])
    return names, images[..., None]


def split(names: list[str]) -> dict[str, list[str]]:
    """The train/val/test characters (each list sorted), from the sorted names and seed 1."""
    order = sorted(names)
    random.Random(SPLIT_SEED).shuffle(order)
    cut1, cut2 = SPLIT_SIZES["train"], SPLIT_SIZES["train"] + SPLIT_SIZES["val"]
    return {"train": sorted(order[:cut1]), "val": sorted(order[cut1:cut2]),
            "test": sorted(order[cut2:])}
