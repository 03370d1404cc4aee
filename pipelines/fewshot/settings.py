"""The few-shot sections of params.yaml as typed dataclasses (strict, like benchmark.config).

`fewshot_profile` picks a budget from `fewshot_profiles`; `fewshot.experiments` holds one block
per Table 1 setting with the paper's hyperparameters, `fewshot.methods` the algorithms, and
`fewshot.runs` the (experiment, method, seed) runs the pipeline trains, by name.
"""
import dataclasses
import pathlib

from benchmark import config
from benchmark.config import ConfigError


@dataclasses.dataclass(frozen=True)
class Budget:
    max_iterations: int | None  # cap on every experiment's iterations (None: the paper's)
    chunk_iterations: int
    checkpoint_every: int
    log_every: int
    eval_tasks: int
    eval_batch: int  # test tasks fine-tuned together (memory)
    validation_tasks: int  # per learning-curve point, and for tuning test-time step sizes
    # per-experiment caps that replace max_iterations, for settings cheap enough to run longer
    experiment_iterations: dict[str, int] = dataclasses.field(default_factory=dict)
    # per-run caps (fewshot.runs names) that replace both: one run carried further than the
    # other methods of its setting
    run_iterations: dict[str, int] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class OmniglotData:
    source: str  # a folder or an http(s) URL holding the two official archives


@dataclasses.dataclass(frozen=True)
class MiniImageNetData:
    images: str  # the user's image folder
    splits: str  # Ravi & Larochelle's CSVs


@dataclasses.dataclass(frozen=True)
class Experiment:
    dataset: str  # omniglot | miniimagenet
    model: str  # conv | mlp
    ways: int
    shots: int
    query_shots: int  # per class, at training time
    test_query_shots: int  # per class, at test time
    meta_batch_size: int
    inner_lr: float
    inner_steps: int  # at training time
    test_steps: int  # fine-tuning steps computed at test (0..test_steps)
    reported_step: int  # the step the paper's number corresponds to
    iterations: int  # the paper's budget
    meta_lr: float
    clip_value: float | None
    filters: int
    formulation: str  # tiled | vectorized (both under XLA) | loop (without); see MamlConfig
    # TensorFlow's oneDNN kernels instead of Eigen's (benchmark.runtime), with the fused
    # batch-norm kernel (benchmark.models.layers.batch_norm): the same function, other kernels
    onednn: bool = False
    # that fused kernel: None follows `onednn`; false keeps the composite batch norm under oneDNN
    fused_batch_norm: bool | None = None

    @property
    def fused(self) -> bool:
        return self.onednn if self.fused_batch_norm is None else self.fused_batch_norm


@dataclasses.dataclass(frozen=True)
class Method:
    algorithm: str  # maml | context_vector | finetune | nearest_neighbour
    first_order: bool = False
    context_channels: int = 0  # context_vector: extra input channels z
    batch_size: int = 0  # finetune / nearest_neighbour: images per pretraining batch
    lr_grid: tuple[float, ...] = ()  # finetune: test-time step sizes tried on validation tasks


ALGORITHMS = ("maml", "context_vector", "finetune", "nearest_neighbour")
PRETRAINED = ("finetune", "nearest_neighbour")  # trained on all classes, not on episodes


@dataclasses.dataclass(frozen=True)
class RunSpec:
    experiment: str
    method: str
    seed: int
    data: str  # the experiment's data set, repeated for dvc.yaml's dependency paths


@dataclasses.dataclass(frozen=True)
class FewShot:
    omniglot: OmniglotData
    miniimagenet: MiniImageNetData
    test_seed: int
    experiments: dict[str, Experiment]
    methods: dict[str, Method]
    runs: dict[str, RunSpec]  # name -> what the pipeline trains (a DVC foreach over it)


@dataclasses.dataclass(frozen=True)
class Settings:
    profile: str  # the fewshot_profile that chose `budget`
    budget: Budget
    fewshot: FewShot

    def iterations(self, run: str) -> int:
        """The iterations run `run` (a fewshot.runs name) trains for under this profile: its
        own cap, else its experiment's, else the profile's, and never past the paper's budget."""
        name = self.fewshot.runs[run].experiment
        experiment = self.fewshot.experiments[name]
        cap = self.budget.run_iterations.get(
            run, self.budget.experiment_iterations.get(name, self.budget.max_iterations))
        return experiment.iterations if cap is None else min(cap, experiment.iterations)

    def run_budget(self, run: str) -> dict:
        """All that run `run` takes from the profile, resolved: the `fewshot_budget` stage writes
        it, and the run's train and evaluate stages depend on that file instead of the whole
        profile, so that a budget given to one run does not re-run every other one."""
        b = self.budget
        return {"profile": self.profile, "iterations": self.iterations(run),
                "chunk_iterations": b.chunk_iterations, "checkpoint_every": b.checkpoint_every,
                "log_every": b.log_every, "eval_tasks": b.eval_tasks, "eval_batch": b.eval_batch,
                "validation_tasks": b.validation_tasks}


def load(path: str | pathlib.Path = "params.yaml") -> Settings:
    p = config.load(path)
    if p.fewshot is None or p.fewshot_profiles is None or p.fewshot_profile is None:
        raise ConfigError(f"{path}: the keys fewshot, fewshot_profile and fewshot_profiles are "
                          "needed for the few-shot experiments")
    if p.fewshot_profile not in p.fewshot_profiles:
        raise ConfigError(f"{path}: fewshot_profile {p.fewshot_profile!r} is not one of "
                          f"{sorted(p.fewshot_profiles)}")
    budget = config.from_dict(Budget, p.fewshot_profiles[p.fewshot_profile],
                              f"{path}: fewshot_profiles.{p.fewshot_profile}")
    fewshot = config.from_dict(FewShot, p.fewshot, f"{path}: fewshot")
    for key, caps, known in (("experiment_iterations", budget.experiment_iterations, "experiments"),
                             ("run_iterations", budget.run_iterations, "runs")):
        unknown = sorted(set(caps) - set(getattr(fewshot, known)))
        if unknown:
            raise ConfigError(f"{path}: fewshot_profiles.{p.fewshot_profile}.{key} names "
                              f"{unknown}, not under fewshot.{known}")
    for name, e in fewshot.experiments.items():
        if e.dataset not in ("omniglot", "miniimagenet") or e.model not in ("conv", "mlp"):
            raise ConfigError(f"{path}: fewshot.experiments.{name}: dataset must be omniglot or "
                              f"miniimagenet and model conv or mlp, got {e.dataset}/{e.model}")
    for name, m in fewshot.methods.items():
        if m.algorithm not in ALGORITHMS:
            raise ConfigError(f"{path}: fewshot.methods.{name}.algorithm is {m.algorithm!r}; "
                              f"one of {ALGORITHMS}")
        if m.algorithm in PRETRAINED and m.batch_size < 1:
            raise ConfigError(f"{path}: fewshot.methods.{name} needs batch_size >= 1 (images per "
                              "pretraining batch)")
        if m.algorithm == "finetune" and not m.lr_grid:
            raise ConfigError(f"{path}: fewshot.methods.{name} needs lr_grid, the test-time step "
                              "sizes to tune on validation tasks")
    for name, r in fewshot.runs.items():
        if r.experiment not in fewshot.experiments or r.method not in fewshot.methods:
            raise ConfigError(f"{path}: fewshot.runs.{name} names experiment {r.experiment!r} / "
                              f"method {r.method!r}; define them under fewshot.experiments/methods")
        if r.data != fewshot.experiments[r.experiment].dataset:
            raise ConfigError(f"{path}: fewshot.runs.{name}.data is {r.data!r} but experiment "
                              f"{r.experiment} uses {fewshot.experiments[r.experiment].dataset!r}")
    return Settings(profile=p.fewshot_profile, budget=budget, fewshot=fewshot)


def run(settings: Settings, name: str) -> tuple[RunSpec, Experiment, Method]:
    """A run by its name under fewshot.runs, with its experiment and method blocks."""
    f = settings.fewshot
    if name not in f.runs:
        raise ConfigError(f"unknown run {name!r}; fewshot.runs has {sorted(f.runs)}")
    spec = f.runs[name]
    return spec, f.experiments[spec.experiment], f.methods[spec.method]
