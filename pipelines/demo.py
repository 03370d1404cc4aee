"""Run the whole DVC pipeline on the smoke profile in a scratch copy, and show the report.

`python -m pipelines.demo [DIR]`: copies the project's files (tracked and untracked, not ignored)
to DIR (default: a fresh temporary folder), makes it a git+DVC repo with `profile: smoke` and
`fewshot_profile: smoke`, runs `dvc repro --keep-going` there (MiniImageNet's stage fails without
the user's images; nothing else may) and prints the generated tables. The committed results are never touched.
The smoke test in tests/ calls the same function.
"""
import argparse
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]


def project_files(root: pathlib.Path = ROOT) -> list[str]:
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                         cwd=root, capture_output=True, text=True, check=True).stdout
    return [f for f in out.split("\0") if f and (root / f).is_file()]


def tool_env() -> dict[str, str]:
    """The environment for running this venv's `dvc` and stage commands in a subprocess."""
    return {**os.environ, "DVC_NO_ANALYTICS": "1", "TF_CPP_MIN_LOG_LEVEL": "2",
            "PATH": f"{pathlib.Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


def run_smoke(dest: pathlib.Path, profile: str = "smoke", seeds: str = "[0]") -> pathlib.Path:
    """Copy the project to `dest`, run `dvc repro` with `profile` and `seeds`, return `dest`.

    One seed by default: each stage is a process that imports TensorFlow and compiles (~15 s),
    so the smoke run's time is its number of stages; one seed still exercises every stage."""
    dest.mkdir(parents=True, exist_ok=True)
    for f in project_files():
        if f.startswith(("results/", "checkpoints/")):
            continue  # start from nothing: every output must be produced by the run
        (dest / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / f, dest / f)
    (dest / "dvc.lock").unlink(missing_ok=True)
    params = dest / "params.yaml"
    text = re.sub(r"(?m)^profile: \S+", f"profile: {profile}", params.read_text())
    text = re.sub(r"(?m)^fewshot_profile: \S+", f"fewshot_profile: {profile}", text)
    # Data paths relative to the project (../shared/...) must still point there from the copy.
    text = re.sub(r"(?m)^(\s+(?:source|splits): )(\.\.?/\S+)",
                  lambda m: m.group(1) + str((ROOT / m.group(2)).resolve()), text)
    params.write_text(re.sub(r"(?m)^seeds: .*$", f"seeds: {seeds}", text))
    env = {**tool_env(), "PYTHONPATH": str(dest)}
    git = ["git", "-c", "user.name=demo", "-c", "user.email=demo@localhost"]
    for cmd in (git + ["init", "-q"], git + ["add", "-A"], git + ["commit", "-qm", "demo"]):
        subprocess.run(cmd, cwd=dest, env=env, check=True)
    # --keep-going: without MiniImageNet images its stage fails with its message, the rest runs.
    if subprocess.run(["dvc", "repro", "--keep-going"], cwd=dest, env=env).returncode:
        stale = [s for s in stale_stages(dest, env) if not s.startswith(NEEDS_USER_DATA)]
        if stale:
            raise RuntimeError(f"dvc repro failed in {dest}: {stale} did not run (see above)")
    return dest


NEEDS_USER_DATA = ("miniimagenet_prepare",)  # stages that need files nobody may ship


def stale_stages(repo: pathlib.Path, env: dict) -> list[str]:
    out = subprocess.run(["dvc", "status", "--json"], cwd=repo, env=env, capture_output=True,
                         text=True, check=True).stdout
    return sorted(json.loads(out or "{}"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dest", nargs="?", type=pathlib.Path)
    parser.add_argument("--seeds", default="[0]", help="the seeds list, as YAML")
    args = parser.parse_args(argv)
    dest = run_smoke(args.dest or pathlib.Path(tempfile.mkdtemp(prefix="mamlbench-demo-")),
                     seeds=args.seeds)
    print((dest / "results/sinusoid/tables/table2_k5.md").read_text())
    print((dest / "results/fewshot/table1.md").read_text())
    print(f"Smoke run done in {dest}: tables and figures in results/sinusoid and results/fewshot. "
          f"The numbers of a smoke run mean nothing; the committed results are in {ROOT / 'results'}.")


if __name__ == "__main__":
    main()
