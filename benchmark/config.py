"""params.yaml as typed, frozen dataclasses; unknown keys and wrong types fail with the fix.

`from_dict(cls, data, where)` checks a mapping against a dataclass recursively (ints, floats,
bools, strings, tuples, unions with None, dicts of dataclasses), so a typo in params.yaml is an
error that names the key, the file section and the accepted keys, never a silent default.
"""
import dataclasses
import pathlib
import types
import typing

import yaml


class ConfigError(ValueError):
    """params.yaml does not match the schema; the message says where and how to fix it."""


@dataclasses.dataclass(frozen=True)
class Profile:
    """A training budget, selected by the top-level `profile` key."""

    meta_iterations: int
    chunk_iterations: int
    checkpoint_every: int
    log_every: int
    eval_tasks: int
    validation_tasks: int
    multitask_regressors: int
    multitask_steps: int


@dataclasses.dataclass(frozen=True)
class SinusoidTask:
    amplitude: tuple[float, float]
    phase: tuple[float, float]
    x_range: tuple[float, float]


@dataclasses.dataclass(frozen=True)
class MlpSettings:
    hidden: tuple[int, ...]
    init_std: float


@dataclasses.dataclass(frozen=True)
class TrainSettings:
    meta_batch_size: int
    shots: int
    query_shots: int
    meta_lr: float


@dataclasses.dataclass(frozen=True)
class EvalSettings:
    shots: tuple[int, ...]
    query_shots: int | None  # None: K query points, as the reference
    steps: int
    test_seed: int
    validation_seed: int
    lr_grid: tuple[float, ...]
    figure_shots: tuple[int, ...]
    figure_steps: tuple[int, ...]


@dataclasses.dataclass(frozen=True)
class MethodSettings:
    """One method block: the algorithm's name, its own options, and the test-time step size."""

    algorithm: str
    eval_inner_lr: float | str | None = None  # a number, "tuned", or None (the training α)
    options: dict = dataclasses.field(default_factory=dict)  # checked by the algorithm's schema


@dataclasses.dataclass(frozen=True)
class Sinusoid:
    task: SinusoidTask
    model: MlpSettings
    train: TrainSettings
    evaluation: EvalSettings
    methods: dict[str, MethodSettings]


@dataclasses.dataclass(frozen=True)
class Params:
    profile: str
    seeds: tuple[int, ...]
    methods: tuple[str, ...]
    profiles: dict[str, Profile]
    sinusoid: Sinusoid
    # Sections of the other experiments, each checked by its own schema where it is used
    # (few-shot classification: pipelines/fewshot/settings.py), so that a change there leaves
    # the sinusoid runs, which depend on this file, valid.
    fewshot_profile: str | None = None
    fewshot_profiles: dict | None = None
    fewshot: dict | None = None

    @property
    def budget(self) -> Profile:
        return self.profiles[self.profile]


def load(path: str | pathlib.Path = "params.yaml") -> Params:
    path = pathlib.Path(path)
    if not path.exists():
        raise ConfigError(f"{path} not found: run from the repository root, or pass its path")
    with open(path) as f:
        raw = yaml.safe_load(f)
    for block in raw.get("sinusoid", {}).get("methods", {}).values():
        if isinstance(block, dict):  # everything but algorithm/eval_inner_lr is an option
            opts = {k: block.pop(k) for k in list(block) if k not in ("algorithm", "eval_inner_lr")}
            block["options"] = opts
    params = from_dict(Params, raw, str(path))
    if params.profile not in params.profiles:
        raise ConfigError(f"{path}: profile {params.profile!r} is not one of "
                          f"{sorted(params.profiles)}; set `profile:` to one of them")
    unknown = [m for m in params.methods if m not in params.sinusoid.methods]
    if unknown:
        raise ConfigError(f"{path}: methods {unknown} have no block under sinusoid.methods")
    return params


def from_dict(cls, data, where: str):
    """Build dataclass `cls` from `data`, checking keys and types; `where` names the place."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping for {cls.__name__}, got {data!r}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {unknown}; valid keys: {sorted(fields)}")
    hints = typing.get_type_hints(cls)
    values = {}
    for name, field in fields.items():
        if name not in data:
            if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
                raise ConfigError(f"{where}: missing key {name!r} ({hints[name]})")
            continue
        values[name] = _convert(hints[name], data[name], f"{where}.{name}")
    return cls(**values)


def _convert(hint, value, where: str):
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if dataclasses.is_dataclass(hint):
        return from_dict(hint, value, where)
    if origin in (typing.Union, types.UnionType):
        for option in args:
            try:
                return _convert(option, value, where)
            except ConfigError:
                continue
        raise ConfigError(f"{where}: {value!r} is not a {hint}")
    if hint is type(None):
        if value is not None:
            raise ConfigError(f"{where}: expected null, got {value!r}")
        return None
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(args[0], v, f"{where}[{i}]") for i, v in enumerate(value))
        if len(value) != len(args):
            raise ConfigError(f"{where}: expected {len(args)} values, got {value!r}")
        return tuple(_convert(a, v, f"{where}[{i}]") for i, (a, v) in enumerate(zip(args, value)))
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return {k: _convert(args[1], v, f"{where}.{k}") for k, v in value.items()}
    if hint is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        return dict(value)
    if hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if hint in (int, bool, str) and type(value) is hint:
        return value
    raise ConfigError(f"{where}: expected {getattr(hint, '__name__', hint)}, got {value!r}")
