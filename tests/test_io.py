"""Provenance: the commit a result records is dirty for code edits, not for the pipeline's own
outputs (DVC rewrites results/ and dvc.lock during every run)."""
import subprocess

from pipelines import io


def test_git_commit_is_dirty_for_code_edits_only(tmp_path, monkeypatch):
    git = lambda *a: subprocess.run(["git", *a], cwd=tmp_path, check=True, capture_output=True)
    git("init", "-q")
    for name in ("code.py", "results/metrics.json", "dvc.lock"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("1\n")
    git("add", ".")
    git("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "x")
    monkeypatch.chdir(tmp_path)
    clean = io.git_commit()
    assert len(clean) == 12 and not clean.endswith("-dirty")
    (tmp_path / "results/metrics.json").write_text("2\n")
    (tmp_path / "dvc.lock").write_text("2\n")
    assert io.git_commit() == clean
    (tmp_path / "code.py").write_text("2\n")
    assert io.git_commit() == clean + "-dirty"
