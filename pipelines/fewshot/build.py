"""Settings -> data sets, models, methods and training configs for the few-shot stages."""
import dataclasses
import hashlib
import json
import pathlib

from baselines.context_vector import ContextVector
from benchmark import datasets, losses, training
from benchmark.algorithms.maml import Maml, MamlConfig
from benchmark.models.conv import conv4, mlp_bn
from benchmark.tasks.fewshot import FewShotClassification
from pipelines.fewshot.settings import Experiment, Method, RunSpec, Settings

DATA = pathlib.Path("data")
OMNIGLOT_ARRAYS = DATA / "omniglot" / "arrays" / "omniglot28.npz"
OMNIGLOT_SPLIT = pathlib.Path("results/fewshot/omniglot_split.json")  # committed
MINIIMAGENET_ARRAYS = DATA / "miniimagenet" / "arrays"
IMAGE = {"omniglot": (28, 1), "miniimagenet": (84, 3)}  # (size, channels)


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


def method(e: Experiment, m: Method):
    size, channels = IMAGE[e.dataset]
    extra = m.context_channels if m.algorithm == "context_vector" else 0
    if e.model == "conv":
        model = conv4(e.ways, size, channels + extra, e.filters, max_pool=e.dataset == "miniimagenet")
    else:
        model = mlp_bn(e.ways, size * size * (channels + extra))
    config = MamlConfig(e.inner_lr, e.inner_steps, m.first_order, e.formulation)
    loss = losses.scaled_xent(e.shots)
    if m.algorithm == "context_vector":
        return ContextVector(model, loss, config, (size, size, extra), metric=losses.accuracy)
    if m.algorithm == "maml":
        return Maml(model, loss, config, metric=losses.accuracy)
    raise ValueError(f"unknown few-shot algorithm {m.algorithm!r}: maml or context_vector")


def train_config(s: Settings, e: Experiment, iterations: int) -> training.TrainConfig:
    b = s.budget
    return training.TrainConfig(
        iterations=iterations, meta_batch_size=e.meta_batch_size, shots=e.shots,
        query_shots=e.query_shots, meta_lr=e.meta_lr, clip_value=e.clip_value,
        chunk_iterations=b.chunk_iterations, checkpoint_every=b.checkpoint_every,
        log_every=b.log_every, jit_compile=e.formulation == "tiled",
    )


# Experiment fields that do not change the trained weights: the test protocol, and the
# formulation, which computes the same function (tests/test_fewshot_models.py: tiled == loop) and
# only moves rounding. Leaving them out lets a run switch to a faster form and still resume.
NOT_IN_FINGERPRINT = ("formulation", "test_query_shots", "test_steps", "reported_step")


def fingerprint(e: Experiment, m: Method, spec: RunSpec) -> str:
    """What a run's weights depend on. Not the budget: a longer run continues a shorter one's
    checkpoint, since iteration i's tasks depend only on (seed, i)."""
    experiment = {k: v for k, v in dataclasses.asdict(e).items() if k not in NOT_IN_FINGERPRINT}
    blob = json.dumps({"experiment": experiment, "method": m, "seed": spec.seed},
                      default=dataclasses.asdict, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
