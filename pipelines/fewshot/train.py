"""DVC stage `fewshot_train@<run>`: meta-train one few-shot run (fewshot.runs.<run>).

Every `checkpoint_every` iterations the weights are checkpointed under checkpoints/fewshot/
(committed: a run that outlives a session continues on another machine) and scored on
validation tasks, which gives the accuracy learning curve. A killed run
continues where its last checkpoint stopped, with the same result as an uninterrupted one.
Writes <out>/model.npz, <out>/curve.json (meta-loss and validation accuracy per step) and
<out>/train.json (budget, wall time, and which commit trained which iterations).
"""
import argparse
import pathlib

from benchmark import runtime
from pipelines.fewshot import settings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("run", help="a key under fewshot.runs in params.yaml")
    parser.add_argument("--out", type=pathlib.Path, required=True)
    parser.add_argument("--params", type=pathlib.Path, default=pathlib.Path("params.yaml"))
    parser.add_argument("--checkpoints", type=pathlib.Path, default=pathlib.Path("checkpoints/fewshot"))
    parser.add_argument("--threads", type=int, default=None, help="TF threads (default: runtime's)")
    args = parser.parse_args(argv)

    s = settings.load(args.params)
    spec, e, m = settings.run(s, args.run)
    # Before TensorFlow is imported. The loop form's tasks run side by side on the threads.
    runtime.configure(args.threads, onednn=e.onednn, across_ops=e.formulation == "loop")
    from benchmark import evaluation, training
    from pipelines import io
    from pipelines.fewshot import build

    method = build.method(e, m)
    train, val_tasks = build.training_data(e, m), build.validation_tasks(s, e)
    fingerprint = build.fingerprint(e, m, spec)
    # A larger budget continues the checkpoint (iteration i's tasks depend only on (seed, i)).
    resume = args.checkpoints / f"{build.checkpoint_name(s, args.run)}.npz"
    history_path = resume.with_suffix(".validation.json")
    history = io.read_json(history_path) if history_path.exists() else []
    done = {h["step"] for h in history}

    def validate(params, step: int) -> None:
        if step in done:
            return
        # The step size the test uses (fine-tuning baseline: tuned on these tasks).
        lr, _, _ = evaluation.choose_inner_lr(method, params, lambda: val_tasks, m.lr_grid,
                                              e.reported_step, batch=s.budget.eval_batch)
        _, acc = evaluation.query_metrics(method, params, val_tasks, lr, e.reported_step,
                                          batch=s.budget.eval_batch)
        history.append({"step": step, "val_accuracy": float(acc[-1].mean())})
        done.add(step)
        io.write_json(history_path, history)
        run.log(f"validation accuracy after {step} iterations: {history[-1]['val_accuracy']:.4f} "
                f"({s.budget.validation_tasks} tasks, {e.reported_step} steps)")

    run = training.Run(seed=spec.seed, resume_path=resume, fingerprint=fingerprint,
                       on_checkpoint=validate, provenance={"commit": io.git_commit()})
    config = build.train_config(s, e, m, s.iterations(args.run))
    params, curve, stats = method.fit(method.init(spec.seed), train.sample, config, run)

    io.save_params(params, args.out / "model.npz")
    by_step = {h["step"]: h["val_accuracy"] for h in history}
    io.write_json(args.out / "curve.json",
                  [{**c, "val_accuracy": by_step.get(c["step"])} for c in curve])
    io.write_json(args.out / "train.json", {
        "experiment": spec.experiment, "method": spec.method, "seed": spec.seed,
        "budget": s.run_budget(args.run), "paper_iterations": e.iterations, **stats,
        "fingerprint": fingerprint, "commit": io.git_commit(),
    })


if __name__ == "__main__":
    main()
