"""DVC stage `train@<method>-<seed>`: meta-train one method with one seed.

Writes <out>/model.npz, <out>/curve.json (learning curve, a DVC plot) and <out>/train.json
(profile, iterations, wall time, commit). Resumes from .resume/ after an interruption.
"""
import argparse
import pathlib

from benchmark import config, runtime
from pipelines import build, io


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("method", help="a key under sinusoid.methods in params.yaml")
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--out", type=pathlib.Path, required=True)
    parser.add_argument("--params", type=pathlib.Path, default=pathlib.Path("params.yaml"))
    parser.add_argument("--resume-dir", type=pathlib.Path, default=pathlib.Path(".resume"))
    args = parser.parse_args(argv)

    runtime.configure()
    from benchmark import training  # after runtime.configure: TF threads are set first

    p = config.load(args.params)
    method = build.method(p, args.method)
    fingerprint = build.fingerprint(p, args.method, args.seed)
    resume = args.resume_dir / f"sinusoid-{args.method}-seed{args.seed}-{fingerprint}.npz"
    run = training.Run(seed=args.seed, resume_path=resume, fingerprint=fingerprint,
                       provenance={"commit": io.git_commit()})

    params, curve, stats = method.fit(method.init(args.seed), build.distribution(p).sample,
                                      build.train_config(p), run)
    io.save_params(params, args.out / "model.npz")
    io.write_json(args.out / "curve.json", curve)
    io.write_json(args.out / "train.json", {
        "experiment": "sinusoid", "method": args.method, "seed": args.seed,
        "profile": p.profile, **stats, "fingerprint": fingerprint, "commit": io.git_commit(),
    })
    resume.unlink(missing_ok=True)  # the run is complete: its model is the output now


if __name__ == "__main__":
    main()
