"""Composition root: turns params.yaml blocks into methods, task distributions and budgets.

The one module that imports both `benchmark` and `baselines`; a new method is one entry in
ALGORITHMS: its options dataclass (checked against params.yaml) and a constructor.
"""
import dataclasses
import hashlib
import json

from baselines.context_vector import ContextVector
from baselines.multitask import MultitaskAverage, MultitaskConfig
from baselines.oracle import Oracle
from baselines.pretrained import Pretrained
from baselines.random_init import RandomInit
from benchmark import config, losses, training
from benchmark.algorithms.base import Method
from benchmark.algorithms.maml import Maml, MamlConfig
from benchmark.models.mlp import mlp
from benchmark.tasks.sinusoid import Sinusoid


@dataclasses.dataclass(frozen=True)
class NoOptions:
    pass


@dataclasses.dataclass(frozen=True)
class OracleOptions:
    inputs: tuple[str, ...] = ("amplitude", "phase")


@dataclasses.dataclass(frozen=True)
class ContextOptions(MamlConfig):
    context_dim: int = 5  # the reference's FC-net context size


def _maml(p, opts):
    return Maml(_model(p), losses.mse, opts)


def _pretrained(p, opts):
    return Pretrained(_model(p), losses.mse)


def _oracle(p, opts):
    return Oracle(_model(p, extra_inputs=len(opts.inputs)), losses.mse, opts.inputs)


def _random_init(p, opts):
    return RandomInit(_model(p), losses.mse)


def _context(p, opts):
    maml_opts = MamlConfig(**{f.name: getattr(opts, f.name) for f in dataclasses.fields(MamlConfig)})
    return ContextVector(_model(p, extra_inputs=opts.context_dim), losses.mse, maml_opts,
                         (opts.context_dim,))


def _multitask(p, opts):
    budget = dataclasses.replace(
        opts, num_regressors=p.budget.multitask_regressors, steps=p.budget.multitask_steps
    )
    return MultitaskAverage(_model(p), losses.mse, budget)


# algorithm name -> (options schema, constructor(params, options) -> Method)
ALGORITHMS = {
    "maml": (MamlConfig, _maml),
    "pretrained": (NoOptions, _pretrained),
    "oracle": (OracleOptions, _oracle),
    "random_init": (NoOptions, _random_init),
    "context_vector": (ContextOptions, _context),
    "multitask": (MultitaskConfig, _multitask),
}


def _model(p: config.Params, extra_inputs: int = 0):
    m = p.sinusoid.model
    return mlp(1 + extra_inputs, m.hidden, 1, m.init_std)


def method(p: config.Params, name: str) -> Method:
    """The Method for `sinusoid.methods.<name>`, its options checked against its schema."""
    if name not in p.sinusoid.methods:
        raise config.ConfigError(f"no method {name!r} under sinusoid.methods in params.yaml; "
                                 f"known: {sorted(p.sinusoid.methods)}")
    block = p.sinusoid.methods[name]
    if block.algorithm not in ALGORITHMS:
        raise config.ConfigError(f"sinusoid.methods.{name}.algorithm: {block.algorithm!r} is not "
                                 f"one of {sorted(ALGORITHMS)}")
    schema, build = ALGORITHMS[block.algorithm]
    opts = config.from_dict(schema, block.options, f"params.yaml:sinusoid.methods.{name}")
    m = build(p, opts)
    m.name = name
    if isinstance(block.eval_inner_lr, float):
        m.eval_inner_lr = block.eval_inner_lr
    elif block.eval_inner_lr == "tuned":
        m.eval_inner_lr = None
    elif block.eval_inner_lr is not None:
        raise config.ConfigError(f"sinusoid.methods.{name}.eval_inner_lr: a number, 'tuned' or "
                                 f"null, not {block.eval_inner_lr!r}")
    return m


def distribution(p: config.Params) -> Sinusoid:
    t = p.sinusoid.task
    return Sinusoid(amplitude=t.amplitude, phase=t.phase, x_range=t.x_range)


def train_config(p: config.Params) -> training.TrainConfig:
    t, b = p.sinusoid.train, p.budget
    return training.TrainConfig(
        iterations=b.meta_iterations, meta_batch_size=t.meta_batch_size, shots=t.shots,
        query_shots=t.query_shots, meta_lr=t.meta_lr, chunk_iterations=b.chunk_iterations,
        checkpoint_every=b.checkpoint_every, log_every=b.log_every,
    )


def fingerprint(p: config.Params, name: str, seed: int) -> str:
    """Identifies everything a training run depends on (not evaluation settings)."""
    s = p.sinusoid
    relevant = {"task": s.task, "model": s.model, "train": s.train, "method": s.methods[name],
                "budget": p.budget, "seed": seed}
    blob = json.dumps(relevant, default=lambda o: dataclasses.asdict(o), sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
