"""DVC stage `fewshot_evaluate@<run>`: accuracy on 600 test tasks after 0..test_steps steps.

The reference's protocol (cbfinn/maml `--train=False --test_set=True`): tasks from the test
classes (Omniglot: with random rotations), K support and `test_query_shots` query images per
class, fine-tuning with the training step size, batch statistics from the current batch
(transductive), mean accuracy with 1.96·std/√600. Writes <run>/metrics.json (a DVC metric).
"""
import argparse
import pathlib
import time

from benchmark import metrics, runtime
from pipelines.fewshot import settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("run", help="a key under fewshot.runs in params.yaml")
    parser.add_argument("--dir", type=pathlib.Path, required=True, help="the train stage's --out")
    parser.add_argument("--params", type=pathlib.Path, default=pathlib.Path("params.yaml"))
    args = parser.parse_args(argv)

    s = settings.load(args.params)
    spec, e, m = settings.run(s, args.run)
    runtime.configure(onednn=e.onednn)  # before TensorFlow is imported
    from benchmark import evaluation
    from pipelines import io
    from pipelines.fewshot import build

    method = build.method(e, m)
    params = io.load_params(args.dir / "model.npz")
    train = io.read_json(args.dir / "train.json")
    tasks = evaluation.sample_eval_tasks(build.distribution(e, "test"), evaluation.TEST_STREAM,
                                         s.fewshot.test_seed, s.budget.eval_tasks, e.shots,
                                         e.test_query_shots)
    t0 = time.perf_counter()
    lr, lr_scores, how = evaluation.choose_inner_lr(method, params,
                                                  lambda: build.validation_tasks(s, e), m.lr_grid,
                                                  e.reported_step, batch=s.budget.eval_batch)
    _, accuracy = evaluation.query_metrics(method, params, tasks, lr, e.test_steps,
                                           batch=s.budget.eval_batch)
    io.write_json(args.dir / "metrics.json", {
        "schema": 1, "experiment": spec.experiment, "method": spec.method, "seed": spec.seed,
        "metric": "accuracy", "num_tasks": s.budget.eval_tasks, "inner_lr": lr,
        "inner_lr_choice": how, "lr_scores": lr_scores,
        "reported_step": e.reported_step, "eval_wall_time_s": round(time.perf_counter() - t0, 1),
        "train": {k: train[k] for k in ("iterations", "paper_iterations", "wall_time_s", "commit",
                                        "budget", "segments")},
        "commit": io.git_commit(),
        "by_steps": {str(i): metrics.summarize_tasks(row) for i, row in enumerate(accuracy)},
    })


if __name__ == "__main__":
    main()
