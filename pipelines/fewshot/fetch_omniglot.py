"""DVC stage `omniglot_fetch`: copy or download the two official archives, then verify them.

The source (params.yaml `fewshot.omniglot.source`) is a folder (the offline mirror, by default
../shared/data/omniglot) or an http(s) URL (the official one is
benchmark.datasets.omniglot.OFFICIAL_SOURCE). Each archive is checked by content (see
benchmark/datasets/omniglot.py); one that fails is removed so that a new fetch starts clean.
"""
import argparse
import pathlib
import shutil
import sys
import urllib.request

from benchmark.datasets import DataError, omniglot


def fetch(source: str, out: pathlib.Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name in omniglot.ARCHIVES:
        target = out / name
        tmp = target.with_name(name + ".part")
        if source.startswith(("http://", "https://")):
            url = f"{source.rstrip('/')}/{name}"
            try:
                urllib.request.urlretrieve(url, tmp)
            except OSError as e:
                raise DataError(f"could not download {url} ({e}); check the URL or set "
                                "fewshot.omniglot.source to a folder holding the archives") from e
        else:
            src = pathlib.Path(source) / name
            if not src.exists():
                raise DataError(f"{src} not found: set fewshot.omniglot.source in params.yaml to a "
                                f"folder with {' and '.join(omniglot.ARCHIVES)}, or to the official "
                                f"URL {omniglot.OFFICIAL_SOURCE}")
            shutil.copyfile(src, tmp)
        tmp.replace(target)
        try:
            omniglot.verify(target)
        except DataError:
            target.unlink()
            raise
        print(f"{target}: verified ({omniglot.PNG_COUNTS[name]} official PNGs)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=pathlib.Path, required=True)
    parser.add_argument("--params", type=pathlib.Path, default=pathlib.Path("params.yaml"))
    args = parser.parse_args(argv)
    from pipelines.fewshot import run_data_stage, settings

    source = settings.load(args.params).fewshot.omniglot.source
    return run_data_stage("omniglot_fetch", lambda: fetch(source, args.out))


if __name__ == "__main__":
    sys.exit(main())
