"""Data stages: Omniglot verified by content (mirror passes; truncated, corrupted or changed
archives fail with the fix), the split, MiniImageNet's folder check on synthetic images, and the
episode sampler's determinism and structure."""
import json
import pathlib
import zipfile

import numpy as np
import pytest
import tensorflow as tf

from benchmark.datasets import DataError, load_images, miniimagenet, omniglot, save_images
from benchmark.tasks.fewshot import FewShotClassification
from pipelines.fewshot import fetch_omniglot

MIRROR = pathlib.Path(__file__).resolve().parents[2] / "shared" / "data" / "omniglot"
needs_mirror = pytest.mark.skipif(not MIRROR.exists(), reason="../shared/data/omniglot absent")


@needs_mirror
def test_the_mirror_passes_and_is_fetched(tmp_path):
    fetch_omniglot.fetch(str(MIRROR), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(omniglot.ARCHIVES)


@needs_mirror
def test_a_rezipped_archive_with_the_same_images_passes(tmp_path):
    # Content, not bytes: other compression and member order give the same digest.
    src = MIRROR / "images_evaluation.zip"
    out = tmp_path / "images_evaluation.zip"
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as b:
        for name in reversed(a.namelist()):
            b.writestr(name, a.read(name))
    omniglot.verify(out)
    assert out.stat().st_size != src.stat().st_size


@needs_mirror
def test_truncated_corrupted_and_changed_archives_fail_with_the_fix(tmp_path):
    src = MIRROR / "images_evaluation.zip"
    truncated = tmp_path / "truncated" / src.name
    truncated.parent.mkdir()
    truncated.write_bytes(src.read_bytes()[: src.stat().st_size // 2])
    with pytest.raises(DataError, match="corrupt or truncated.*fetch it again"):
        omniglot.verify(truncated)

    corrupted = tmp_path / "corrupted" / src.name
    corrupted.parent.mkdir()
    data = bytearray(src.read_bytes())
    with zipfile.ZipFile(src) as z:
        info = z.infolist()[100]
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 10
    data[start] ^= 0xFF  # one flipped byte inside a compressed PNG: a CRC error
    corrupted.write_bytes(bytes(data))
    with pytest.raises(DataError, match="corrupt or truncated"):
        omniglot.verify(corrupted)

    changed = tmp_path / "changed" / src.name
    changed.parent.mkdir()
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(changed, "w") as b:
        for name in a.namelist()[:-1]:  # one drawing missing
            b.writestr(name, a.read(name))
    with pytest.raises(DataError, match="differ from the official Omniglot images"):
        omniglot.verify(changed)


def test_a_missing_source_names_the_parameter_and_the_official_url(tmp_path):
    with pytest.raises(DataError, match="fewshot.omniglot.source.*github.com/brendenlake"):
        fetch_omniglot.fetch(str(tmp_path / "nowhere"), tmp_path / "out")


def test_split_sizes_are_disjoint_sorted_and_reproducible():
    names = [f"Alphabet_{a}/character{c:02d}" for a in range(50) for c in range(1, 34)][:1623]
    parts = omniglot.split(names)
    assert [len(parts[k]) for k in ("train", "val", "test")] == [1100, 100, 423]
    assert set(parts["train"]).isdisjoint(parts["test"]) and set(parts["val"]).isdisjoint(parts["test"])
    assert all(parts[k] == sorted(parts[k]) for k in parts)
    assert omniglot.split(list(reversed(names))) == parts  # independent of listing order


def test_committed_split_matches_the_derivation():
    committed = json.loads(pathlib.Path("results/fewshot/omniglot_split.json").read_text())
    names = committed["train"] + committed["val"] + committed["test"]
    assert len(set(names)) == omniglot.NUM_CHARACTERS
    parts = omniglot.split(names)
    assert all(parts[k] == committed[k] for k in ("train", "val", "test"))


def _write_csvs(folder: pathlib.Path, per_class: int) -> dict[str, dict[str, list[str]]]:
    """Split CSVs with the real class counts (64/16/20) and `per_class` images each."""
    folder.mkdir(parents=True)
    layout, n = {}, 0
    for split, count in miniimagenet.CLASSES.items():
        layout[split] = {}
        rows = ["filename,label"]
        for _ in range(count):
            wnid = f"n{n:08d}"
            n += 1
            layout[split][wnid] = [f"{wnid}{i:08d}.jpg" for i in range(per_class)]
            rows += [f"{f},{wnid}" for f in layout[split][wnid]]
        (folder / f"{split}.csv").write_text("\n".join(rows) + "\n")
    return layout


@pytest.mark.parametrize("layout_kind", ["flat", "per_class", "per_split_class"])
def test_miniimagenet_folder_is_checked_and_resized(tmp_path, layout_kind):
    from PIL import Image

    layout = _write_csvs(tmp_path / "splits", per_class=2)
    images = tmp_path / "images"
    rng = np.random.default_rng(0)
    for split, classes in layout.items():
        for wnid, files in classes.items():
            for f in files:
                where = {"flat": images, "per_class": images / wnid,
                         "per_split_class": images / split / wnid}[layout_kind]
                where.mkdir(parents=True, exist_ok=True)
                Image.fromarray(rng.integers(0, 255, (30, 40, 3), dtype=np.uint8)).save(where / f)
    found = miniimagenet.check(images, tmp_path / "splits")
    arrays = miniimagenet.load_split(found["test"])
    assert arrays.shape == (20, 2, 84, 84, 3) and arrays.dtype == np.uint8
    save_images(tmp_path / "test.npz", arrays, list(found["test"]), compress=False)
    np.testing.assert_array_equal(load_images(tmp_path / "test.npz"), arrays)


def test_missing_miniimagenet_images_say_what_to_download_and_where(tmp_path):
    _write_csvs(tmp_path / "splits", per_class=1)
    with pytest.raises(DataError, match="does not exist.*ImageNet.*dvc repro miniimagenet_prepare"):
        miniimagenet.check(tmp_path / "images", tmp_path / "splits")
    (tmp_path / "images").mkdir()
    with pytest.raises(DataError, match="100 of the 100 MiniImageNet images"):
        miniimagenet.check(tmp_path / "images", tmp_path / "splits")


def _coded_images(classes=10, examples=20) -> np.ndarray:
    """Pixel (0, 0) holds the class, pixel (0, 1) the example: episodes can be decoded."""
    images = np.zeros((classes, examples, 4, 4, 1), np.uint8)
    images[:, :, 0, 0, 0] = np.arange(classes)[:, None]
    images[:, :, 0, 1, 0] = np.arange(examples)[None, :]
    return images


def test_episodes_are_deterministic_distinct_and_consistently_labelled():
    dist = FewShotClassification(_coded_images(), ways=5, rotate=False)
    seed = tf.constant([3, 4], tf.int64)
    a, b = dist.sample(seed, 6, 2, 3), dist.sample(seed, 6, 2, 3)
    np.testing.assert_array_equal(a.support.x, b.support.x)
    other = dist.sample(tf.constant([3, 5], tf.int64), 6, 2, 3)
    assert not np.array_equal(a.support.x, other.support.x)
    assert a.support.x.shape == (6, 10, 4, 4, 1) and a.query.y.shape == (6, 15, 5)
    for t in range(6):
        cls = lambda split, t=t: split.x[t, :, 0, 0, 0].numpy().astype(int)
        ex = lambda split, t=t: split.x[t, :, 0, 1, 0].numpy().astype(int)
        label = lambda split, t=t: np.argmax(split.y[t].numpy(), -1)
        classes = {}
        for split in (a.support, a.query):
            for c, lab in zip(cls(split), label(split), strict=True):
                assert classes.setdefault(lab, c) == c  # one class per label, in both sets
        assert len(set(classes.values())) == 5  # distinct classes
        for c in set(classes.values()):  # support and query examples are distinct
            used = [e for split in (a.support, a.query)
                    for e, k in zip(ex(split), cls(split), strict=True) if k == c]
            assert len(used) == len(set(used)) == 5


def test_rotations_turn_whole_classes_by_multiples_of_90_degrees():
    images = np.random.default_rng(0).integers(0, 2, (8, 20, 4, 4, 1)).astype(np.uint8)
    dist = FewShotClassification(images, ways=3, rotate=True)
    task = dist.sample(tf.constant([0, 1], tf.int64), 20, 1, 1)
    seen = set()
    for t in range(20):
        for s in range(3):
            x = task.support.x[t, s].numpy().astype(np.uint8)
            matches = [(c, k) for c in range(8) for e in range(20) for k in range(4)
                       if np.array_equal(np.rot90(images[c, e], k, axes=(0, 1)), x)]
            assert matches
            seen |= {k for _, k in matches}
    assert seen == {0, 1, 2, 3}


def test_too_few_classes_or_examples_is_a_clear_error():
    with pytest.raises(ValueError, match="at least 20 classes"):
        FewShotClassification(_coded_images(classes=10), ways=20, rotate=False)
    dist = FewShotClassification(_coded_images(), ways=5, rotate=False)
    with pytest.raises(ValueError, match="only 20"):
        dist.sample(tf.constant([0, 0], tf.int64), 2, 15, 15)


def test_missing_prepared_data_names_the_stage(tmp_path):
    with pytest.raises(DataError, match="dvc repro"):
        load_images(tmp_path / "none.npz")
