"""Settings -> data sets, models, methods and training configs for the few-shot stages."""
import dataclasses
import hashlib
import json
import pathlib

from baselines.all_classes import FineTuned, NearestNeighbour
from baselines.context_vector import ContextVector
from benchmark import datasets, evaluation, losses, training
from benchmark.algorithms.maml import Maml, MamlConfig
from benchmark.models.conv import conv4, mlp_bn
from benchmark.tasks.fewshot import AllClassesBatches, FewShotClassification
from pipelines.fewshot.settings import PRETRAINED, Experiment, Method, RunSpec, Settings, run

DATA = pathlib.Path("data")
OMNIGLOT_ARRAYS = DATA / "omniglot" / "arrays" / "omniglot28.npz"
OMNIGLOT_SPLIT = pathlib.Path("results/fewshot/omniglot_split.json")  # committed
MINIIMAGENET_ARRAYS = DATA / "miniimagenet" / "arrays"
IMAGE = {"omniglot": (28, 1), "miniimagenet": (84, 3)}  # (size, channels)
# Training classes, as the all-classes baselines count them (Omniglot: each rotation a class).
TRAIN_CLASSES = {"omniglot": 1100 * 4, "miniimagenet": 64}


def split_images(e: Experiment, split: str):
    """uint8 [classes, examples, H, W, C] of one split (train / val / test)."""
    if e.dataset == "omniglot":
        names = json.loads(OMNIGLOT_SPLIT.read_text())[split]
        return datasets.load_images(OMNIGLOT_ARRAYS, names)
    return datasets.load_images(MINIIMAGENET_ARRAYS / f"{split}.npz")


def distribution(e: Experiment, split: str) -> FewShotClassification:
    # Omniglot: rotations by multiples of 90° are new classes, at training and test (reference).
    return FewShotClassification(split_images(e, split), e.ways, rotate=e.dataset == "omniglot",
                                 scale=1.0 if e.dataset == "omniglot" else 1 / 255)


VALIDATION_STREAM_SEED = 2


def validation_tasks(s: Settings, e: Experiment):
    """The fixed validation tasks (validation classes): learning curves and step-size tuning."""
    return evaluation.sample_eval_tasks(distribution(e, "val"), evaluation.VALIDATION_STREAM,
                                        VALIDATION_STREAM_SEED, s.budget.validation_tasks,
                                        e.shots, e.test_query_shots)


def training_data(e: Experiment, m: Method):
    """What a run trains on: episodes, or plain batches over all classes for the pretrained
    baselines."""
    episodes = distribution(e, "train")
    if m.algorithm not in PRETRAINED:
        return episodes
    batches = AllClassesBatches(episodes)
    if batches.num_classes != TRAIN_CLASSES[e.dataset]:
        raise datasets.DataError(f"the {e.dataset} training split has {batches.num_classes} "
                                 f"classes, expected {TRAIN_CLASSES[e.dataset]}: re-run its "
                                 "prepare stage")
    return batches


def method(e: Experiment, m: Method):
    size, channels = IMAGE[e.dataset]
    extra = m.context_channels if m.algorithm == "context_vector" else 0
    if e.model == "conv":
        model = conv4(e.ways, size, channels + extra, e.filters, max_pool=e.dataset == "miniimagenet",
                      fused_batch_norm=e.fused)
    else:
        model = mlp_bn(e.ways, size * size * (channels + extra), fused_batch_norm=e.fused)
    config = MamlConfig(e.inner_lr, e.inner_steps, m.first_order, e.formulation)
    loss = losses.scaled_xent(e.shots)
    if m.algorithm == "context_vector":
        return ContextVector(model, loss, config, (size, size, extra), metric=losses.accuracy)
    if m.algorithm == "maml":
        return Maml(model, loss, config, metric=losses.accuracy)
    if m.algorithm == "finetune":
        return FineTuned(model, loss, TRAIN_CLASSES[e.dataset], metric=losses.accuracy)
    if m.algorithm == "nearest_neighbour":
        return NearestNeighbour(model, loss, TRAIN_CLASSES[e.dataset], metric=losses.accuracy)
    raise ValueError(f"unknown few-shot algorithm {m.algorithm!r}")


def train_config(s: Settings, e: Experiment, m: Method, iterations: int) -> training.TrainConfig:
    b = s.budget
    # The pretrained baselines: one plain batch of m.batch_size images per iteration.
    batches, shots, query = ((1, m.batch_size, 0) if m.algorithm in PRETRAINED else
                             (e.meta_batch_size, e.shots, e.query_shots))
    return training.TrainConfig(
        iterations=iterations, meta_batch_size=batches, shots=shots,
        query_shots=query, meta_lr=e.meta_lr, clip_value=e.clip_value,
        chunk_iterations=b.chunk_iterations, checkpoint_every=b.checkpoint_every,
        log_every=b.log_every, jit_compile=e.formulation != "loop",  # the loop runs best unjitted
    )


# Experiment fields that do not change the trained weights: the test protocol, and the
# formulation and kernel library, which compute the same function (tests/test_fewshot_models.py:
# tiled == loop) and only move rounding. Leaving them out lets a run switch to a faster form and
# still resume.
NOT_IN_FINGERPRINT = ("formulation", "onednn", "fused_batch_norm", "test_query_shots", "test_steps",
                      "reported_step")


def fingerprint(e: Experiment, m: Method, spec: RunSpec) -> str:
    """What a run's weights depend on. Not the budget: a longer run continues a shorter one's
    checkpoint, since iteration i's tasks depend only on (seed, i)."""
    experiment = {k: v for k, v in dataclasses.asdict(e).items() if k not in NOT_IN_FINGERPRINT}
    # Method fields at their defaults are left out, so adding a field keeps old runs resumable.
    method_ = {f.name: getattr(m, f.name) for f in dataclasses.fields(m)
               if f.default is dataclasses.MISSING or getattr(m, f.name) != f.default}
    blob = json.dumps({"experiment": experiment, "method": method_, "seed": spec.seed},
                      sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def checkpoint_name(s: Settings, name: str) -> str:
    """A run's checkpoint file stem, `<run>-<profile>-<fingerprint>`: per profile, so that a smoke
    run never picks up a long run's weights, and per fingerprint, so that other settings start
    afresh."""
    spec, e, m = run(s, name)
    return f"{name}-{s.profile}-{fingerprint(e, m, spec)}"
