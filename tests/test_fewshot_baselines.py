"""Ravi & Larochelle's MiniImageNet baselines: all-classes batches, the pretrained network, the
fine-tuning and nearest-neighbour test-time adaptation, and both through the pipeline's stages
on small synthetic MiniImageNet arrays."""
import json
import pathlib
import re

import numpy as np
import pytest
import tensorflow as tf

from baselines.all_classes import FineTuned, NearestNeighbour
from benchmark import evaluation, losses
from benchmark.config import ConfigError
from benchmark.datasets import save_images
from benchmark.models.conv import conv4
from benchmark.tasks.base import Split, Task
from benchmark.tasks.fewshot import AllClassesBatches, FewShotClassification
from pipelines.fewshot import build, evaluate, settings, train

WAYS, SHOTS, CLASSES = 3, 2, 7


def _model():
    return conv4(WAYS, 8, 1, 4, max_pool=True, blocks=2)


def _tasks(seed=0, num_tasks=4) -> Task:
    """Tasks whose query set is the support set in another order (the labels follow)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(num_tasks, WAYS * SHOTS, 8, 8, 1)).astype(np.float32)
    y = np.tile(np.repeat(np.eye(WAYS, dtype=np.float32), SHOTS, axis=0), (num_tasks, 1, 1))
    order = rng.permutation(WAYS * SHOTS)
    return Task(Split(tf.constant(x), tf.constant(y)),
                Split(tf.constant(x[:, order]), tf.constant(y[:, order])), {})


def test_all_classes_batches_label_each_image_by_its_class_and_rotation():
    # Class c's images are 0 except one pixel of value c + 1 in the top-left corner: the label
    # must be c * 4 + k where the corner pixel sits after k quarter turns.
    images = np.zeros((5, 3, 6, 6, 1), np.uint8)
    for c in range(5):
        images[c, :, 0, 0, 0] = c + 1
    batches = AllClassesBatches(FewShotClassification(images, 2, rotate=True))
    assert batches.num_classes == 20
    seed = tf.constant([3, 4], tf.int64)
    task = batches.sample(seed, 2, 50)
    x, y = task.support.x.numpy(), task.support.y.numpy()
    assert x.shape == (2, 50, 6, 6, 1) and y.shape == (2, 50, 20) and task.query.x.shape[1] == 0
    corners = {(0, 0): 0, (5, 0): 1, (5, 5): 2, (0, 5): 3}  # np.rot90 turns counter-clockwise
    for image, label in zip(x.reshape(-1, 6, 6), y.reshape(-1, 20).argmax(-1), strict=True):
        (row,), (col,) = np.nonzero(image)
        assert label == (image[row, col] - 1) * 4 + corners[(row, col)]
    np.testing.assert_array_equal(batches.sample(seed, 2, 50).support.x, x)
    assert len(np.unique(y.argmax(-1))) > 10  # the classes vary
    with pytest.raises(ValueError, match="query_shots must be 0"):
        batches.sample(seed, 1, 4, 1)


def test_pretrained_baselines_start_with_a_zero_n_way_layer_and_never_fine_tune_its_pretraining_head():
    method = FineTuned(_model(), losses.scaled_xent(SHOTS), CLASSES, losses.accuracy)
    params = method.init(0)
    assert params["pretrain/w"].shape == (params["out/w"].shape[0], CLASSES)
    assert not np.any(params["out/w"].numpy())
    keys = method.inner_keys(params)
    assert "out/w" in keys and "conv0/w" in keys
    assert not {"pretrain/w", "pretrain/b", "bn0/beta", "bn1/beta"} & set(keys)


def test_pretraining_on_all_classes_lowers_its_loss():
    method = FineTuned(_model(), losses.scaled_xent(SHOTS), CLASSES, losses.accuracy)
    images = (np.arange(CLASSES)[:, None, None, None, None] * 30
              + np.random.default_rng(0).integers(0, 20, (CLASSES, 4, 8, 8, 1))).astype(np.uint8)
    batches = AllClassesBatches(FewShotClassification(images, WAYS, rotate=False, scale=1 / 255))
    params = method.init(0)
    batch = batches.sample(tf.constant([0, 0], tf.int64), 1, 28)
    first = float(method.training_loss(params, batch))
    for _ in range(30):
        with tf.GradientTape() as tape:
            tape.watch(params)
            loss = method.training_loss(params, batch)
        grads = tape.gradient(loss, params)
        assert grads["out/w"] is None  # the N-way layer is not pretrained
        params = {k: v - 0.1 * grads[k] if grads[k] is not None else v for k, v in params.items()}
    assert float(method.training_loss(params, batch)) < 0.5 * first


def test_fine_tuning_starts_at_chance_and_learns_the_support_set():
    method = FineTuned(_model(), losses.scaled_xent(SHOTS), CLASSES, losses.accuracy)
    params, tasks = method.init(0), _tasks()
    loss, acc = evaluation.query_metrics(method, params, tasks, 0.1, 10)
    np.testing.assert_allclose(loss[0], WAYS * np.log(WAYS), rtol=1e-5)  # zero N-way layer
    assert loss[10].mean() < 0.5 * loss[0].mean() and acc[10].mean() > 0.9
    lr, scores = evaluation.tune_inner_lr(method, params, tasks, (1e-4, 0.1), 5)
    assert lr == 0.1 and scores[0.1] < scores[1e-4]


def test_nearest_neighbour_labels_each_query_image_by_its_most_similar_support_image():
    method = NearestNeighbour(_model(), losses.scaled_xent(SHOTS), CLASSES, losses.accuracy)
    params, tasks = method.init(0), _tasks()
    _, acc = evaluation.query_metrics(method, params, tasks, 0.0, 3)
    np.testing.assert_array_equal(acc, 1.0)  # every query image is one of the support images
    # The same images with the query labels shifted by one class: every answer is now wrong.
    shifted = tasks._replace(query=Split(tasks.query.x, tf.roll(tasks.query.y, 1, axis=-1)))
    _, acc = evaluation.query_metrics(method, params, shifted, 0.0, 3)
    np.testing.assert_array_equal(acc, 0.0)
    with pytest.raises(ValueError, match="adapt"):
        method.predict(params, tasks.query.x, {})


def test_baseline_settings_are_checked(tmp_path):
    text = pathlib.Path("params.yaml").read_text()
    bad = tmp_path / "params.yaml"
    bad.write_text(text.replace("      lr_grid: [0.001, 0.003, 0.01, 0.03, 0.1]\n", ""))
    with pytest.raises(ConfigError, match="lr_grid"):
        settings.load(bad)
    bad.write_text(text.replace("algorithm: nearest_neighbour", "algorithm: nearest"))
    with pytest.raises(ConfigError, match="nearest_neighbour"):
        settings.load(bad)


@pytest.mark.slow
def test_miniimagenet_baselines_train_and_evaluate_through_the_stages(tmp_path, monkeypatch):
    """Both baselines end to end (smoke budget) on synthetic MiniImageNet arrays."""
    rng = np.random.default_rng(0)
    arrays = tmp_path / "arrays"
    for split, classes in {"train": 64, "val": 16, "test": 20}.items():
        images = rng.integers(0, 256, (classes, 16, 84, 84, 3), dtype=np.uint8)
        save_images(arrays / f"{split}.npz", images, [f"n{i:08d}" for i in range(classes)],
                    compress=False)
    monkeypatch.setattr(build, "MINIIMAGENET_ARRAYS", arrays)
    text = pathlib.Path("params.yaml").read_text()
    text = re.sub(r"(?m)^fewshot_profile: \S+", "fewshot_profile: smoke", text)
    runs = "".join(f"    miniimagenet_5w1s-{m}-0: {{experiment: miniimagenet_5w1s, method: {m}, "
                   f"seed: 0, data: miniimagenet}}\n" for m in ("finetune", "nearest_neighbour"))
    text = text.replace("  runs:\n", "  runs:\n" + runs, 1)
    params = tmp_path / "params.yaml"
    params.write_text(text)
    for m in ("finetune", "nearest_neighbour"):
        run, out = f"miniimagenet_5w1s-{m}-0", tmp_path / m
        train.main([run, "--out", str(out), "--params", str(params),
                    "--checkpoints", str(tmp_path / "ckpt")])
        evaluate.main([run, "--dir", str(out), "--params", str(params)])
        metrics = json.loads((out / "metrics.json").read_text())
        assert metrics["method"] == m and len(metrics["by_steps"]) == 11
        accuracies = [c["mean"] for c in metrics["by_steps"].values()]
        assert all(0.0 <= a <= 1.0 for a in accuracies)
        if m == "finetune":
            assert metrics["inner_lr"] in (0.001, 0.003, 0.01, 0.03, 0.1)
            assert "tuned" in metrics["inner_lr_choice"] and len(metrics["lr_scores"]) == 5
        else:
            assert len(set(accuracies)) == 1  # no gradient steps: every step is the same
