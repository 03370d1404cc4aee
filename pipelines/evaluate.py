"""DVC stage `evaluate@<method>-<seed>`: few-shot test MSE after 0..10 steps, for each K.

Writes <run>/metrics.json (a DVC metric: per K and step, mean, 95% CI, std, n, median and the
number of diverged tasks, with the step size used and how it was chosen) and <run>/fits.json (the predictions
on one fixed task, for the paper's Fig. 2).
"""
import argparse
import pathlib

import numpy as np

from benchmark import config, runtime
from pipelines import build, io


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("method")
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--run", type=pathlib.Path, required=True, help="the train stage's --out")
    parser.add_argument("--params", type=pathlib.Path, default=pathlib.Path("params.yaml"))
    args = parser.parse_args(argv)

    runtime.configure()
    from benchmark import evaluation, metrics, seeding

    p = config.load(args.params)
    e = p.sinusoid.evaluation
    method, dist = build.method(p, args.method), build.distribution(p)
    params = io.load_params(args.run / "model.npz")
    train = io.read_json(args.run / "train.json")

    by_shots = {}
    for k in e.shots:
        q = e.query_shots or k
        lr, scores, how = evaluation.choose_inner_lr(
            method, params, lambda k=k, q=q: evaluation.sample_eval_tasks(
                dist, evaluation.VALIDATION_STREAM, e.validation_seed, p.budget.validation_tasks,
                k, q),
            e.lr_grid, e.steps)
        test = evaluation.sample_eval_tasks(dist, evaluation.TEST_STREAM, e.test_seed,
                                            p.budget.eval_tasks, k, q)
        _, losses = evaluation.query_metrics(method, params, test, lr, e.steps)  # score = MSE
        # A diverging task is a result, not an error: its cell reports the count (see metrics).
        steps = {str(s): metrics.summarize_tasks(row) for s, row in enumerate(losses)}
        by_shots[str(k)] = {"inner_lr": lr, "inner_lr_choice": how, "lr_scores": scores,
                            "query_shots": q, "by_steps": steps}

    io.write_json(args.run / "metrics.json", {
        "schema": 1, "experiment": "sinusoid", "method": args.method, "seed": args.seed,
        "metric": "mse", "profile": p.profile, "num_tasks": p.budget.eval_tasks,
        "train": {k: train[k] for k in ("iterations", "wall_time_s", "commit", "profile")},
        "commit": io.git_commit(), "shots": by_shots,
    })

    # Fig. 2: one task (its own stream), the first K of its points as the support set.
    task = dist.sample(seeding.tf_seed(seeding.stream("figure-task", e.test_seed), 0), 1,
                       max(e.figure_shots), 0)
    info = {k: v[0] for k, v in task.info.items()}
    grid = np.linspace(*p.sinusoid.task.x_range, 200, dtype=np.float32)[:, None]
    fits = {"x": grid[:, 0].tolist(), "amplitude": float(info["amplitude"]),
            "phase": float(info["phase"]), "shots": {}}
    for k in e.figure_shots:
        support = type(task.support)(task.support.x[0, :k], task.support.y[0, :k])
        lr = by_shots.get(str(k), {}).get("inner_lr", method.eval_inner_lr or e.lr_grid[0])
        trajectory = evaluation.adapted_params(method, params, support, info, lr, max(e.figure_steps))
        fits["shots"][str(k)] = {
            "support_x": support.x.numpy()[:, 0].tolist(), "support_y": support.y.numpy()[:, 0].tolist(),
            "pred": {str(s): method.predict(trajectory[s], grid, info).numpy()[:, 0].tolist()
                     for s in e.figure_steps},
        }
    io.write_json(args.run / "fits.json", fits)


if __name__ == "__main__":
    main()
