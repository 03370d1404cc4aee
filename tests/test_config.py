"""params.yaml: the committed file loads, and bad input fails with a message naming the fix."""
import json
import pathlib
import shutil

import pytest
import yaml

from benchmark import config
from pipelines import build

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _edited(tmp_path, edit) -> pathlib.Path:
    raw = yaml.safe_load((ROOT / "params.yaml").read_text())
    edit(raw)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_committed_params_load_and_build_every_method():
    p = config.load(ROOT / "params.yaml")
    assert p.sinusoid.methods["maml"].options["inner_lr"] == 0.01  # the paper's alpha
    for name in p.methods:
        assert build.method(p, name).name == name


def test_unknown_key_is_named_with_the_valid_keys(tmp_path):
    path = _edited(tmp_path, lambda r: r["sinusoid"]["train"].update(meta_batchsize=25))
    with pytest.raises(config.ConfigError, match=r"sinusoid\.train.*'meta_batchsize'.*valid keys"):
        config.load(path)


def test_wrong_type_is_named(tmp_path):
    path = _edited(tmp_path, lambda r: r["sinusoid"]["train"].update(meta_batch_size="25"))
    with pytest.raises(config.ConfigError, match=r"sinusoid\.train\.meta_batch_size.*int"):
        config.load(path)


def test_unknown_algorithm_option_is_named(tmp_path):
    path = _edited(tmp_path, lambda r: r["sinusoid"]["methods"]["maml"].update(inner_step=2))
    with pytest.raises(config.ConfigError, match=r"methods\.maml.*'inner_step'"):
        build.method(config.load(path), "maml")


def test_unknown_profile_lists_the_known_ones(tmp_path):
    path = _edited(tmp_path, lambda r: r.update(profile="huge"))
    with pytest.raises(config.ConfigError, match=r"'huge'.*\['full', 'smoke'\]"):
        config.load(path)


def test_missing_file(tmp_path):
    with pytest.raises(config.ConfigError, match="not found"):
        config.load(tmp_path / "nope.yaml")


def test_method_listed_without_block(tmp_path):
    path = _edited(tmp_path, lambda r: r["methods"].append("reptile"))
    with pytest.raises(config.ConfigError, match="reptile"):
        config.load(path)


def test_copy_is_independent(tmp_path):  # the loader never writes to params.yaml
    shutil.copy(ROOT / "params.yaml", tmp_path / "params.yaml")
    before = (tmp_path / "params.yaml").read_text()
    config.load(tmp_path / "params.yaml")
    assert (tmp_path / "params.yaml").read_text() == before


def test_the_speed_benchmark_times_the_formulation_the_sinusoid_trains_with():
    # benchmark.speed times a fixed paper config (no params.yaml dependency), so its default row
    # names the formulation itself: it must stay the one params.yaml trains MAML with.
    from benchmark import speed

    methods = config.load(ROOT / "params.yaml").sinusoid.methods
    trained = {m.options.get("formulation") for m in methods.values() if m.algorithm == "maml"}
    assert trained == {speed.SINUSOID_FORMULATION}


def test_a_run_budget_overrides_its_settings_and_stays_within_the_papers(tmp_path):
    from pipelines.fewshot import settings

    def edit(raw):
        cpu = raw["fewshot_profiles"]["cpu"]
        cpu["max_iterations"] = 500
        cpu["experiment_iterations"] = {"omniglot_5w1s": 800}
        cpu["run_iterations"] = {"omniglot_5w1s-maml-0": 900, "omniglot_5w1s-fomaml-0": 10**6}

    s = settings.load(_edited(tmp_path, edit))
    assert s.iterations("omniglot_5w1s-maml-0") == 900  # its own cap
    assert s.iterations("omniglot_5w1s-context_vector-0") == 800  # its setting's
    assert s.iterations("omniglot_5w1s-fomaml-0") == 60000  # never past the paper's budget
    assert s.iterations("omniglot_5w1s_mlp-maml-0") == 500  # the profile's


def test_a_budget_given_to_one_run_leaves_every_other_runs_budget_file_unchanged(tmp_path):
    from pipelines.fewshot import budget

    def files(edit) -> dict[str, str]:
        path = _edited(tmp_path, edit)
        raw = yaml.safe_load(path.read_text())
        out = {}
        for run in raw["fewshot"]["runs"]:
            budget.main([run, "--params", str(path), "--out", str(tmp_path / f"{run}.json")])
            out[run] = (tmp_path / f"{run}.json").read_text()
        return out

    # A conv run still at the profile's budget (runs joined at 60,000 have their own).
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    cpu = params["fewshot_profiles"]["cpu"]
    run = next(r for r, spec in params["fewshot"]["runs"].items()
               if r not in cpu["run_iterations"]
               and spec["experiment"] not in cpu["experiment_iterations"])
    before = files(lambda raw: None)
    after = files(lambda raw: raw["fewshot_profiles"]["cpu"]["run_iterations"].update({run: 30000}))
    changed = {r for r in before if before[r] != after[r]}
    assert changed == {run}
    assert json.loads(after[run])["iterations"] == 30000
    assert json.loads(before[run]) == {
        "profile": "cpu", "iterations": 12000, "chunk_iterations": 100, "checkpoint_every": 1000,
        "log_every": 100, "eval_tasks": 600, "eval_batch": 50, "validation_tasks": 100}


def test_few_shot_runs_depend_on_their_budget_file_not_on_the_whole_profile():
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    budget_file = "results/fewshot/runs/${key}/budget.json"
    assert budget_file in [next(iter(o)) for o in stages["fewshot_budget"]["do"]["outs"]]
    for name in ("fewshot_train", "fewshot_evaluate"):
        do = stages[name]["do"]
        assert budget_file in do["deps"], name
        assert not any(p.startswith("fewshot_profile") for p in do["params"]), name


def test_the_budget_stage_refuses_an_unknown_run(tmp_path):
    from pipelines.fewshot import budget

    with pytest.raises(config.ConfigError, match="unknown run 'omniglot_5w1s-maml-9'"):
        budget.main(["omniglot_5w1s-maml-9", "--params", str(ROOT / "params.yaml"),
                     "--out", str(tmp_path / "b.json")])
    assert not (tmp_path / "b.json").exists()


@pytest.mark.parametrize("key, name, known", [
    ("run_iterations", "omniglot_5w1s-maml-9", "fewshot.runs"),
    ("experiment_iterations", "omniglot_9w1s", "fewshot.experiments")])
def test_a_budget_for_an_unknown_name_says_where_the_names_are_defined(tmp_path, key, name, known):
    from pipelines.fewshot import settings

    path = _edited(tmp_path, lambda raw: raw["fewshot_profiles"]["cpu"].update({key: {name: 100}}))
    with pytest.raises(config.ConfigError, match=rf"{key} names \['{name}'\].*{known}"):
        settings.load(path)


@pytest.mark.parametrize("formulation, compiled", [
    ("tiled", True), ("vectorized", True), ("loop", False)])
def test_the_batched_few_shot_forms_train_under_xla_and_the_loop_without(formulation, compiled):
    import dataclasses

    from pipelines.fewshot import build, settings

    s = settings.load(ROOT / "params.yaml")
    e = dataclasses.replace(s.fewshot.experiments["omniglot_5w1s_mlp"], formulation=formulation)
    config = build.train_config(s, e, s.fewshot.methods["maml"], 10)
    assert config.jit_compile is compiled
