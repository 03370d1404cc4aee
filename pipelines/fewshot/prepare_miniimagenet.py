"""DVC stage `miniimagenet_prepare`: check the user's images against the split CSVs, resize to
84×84 and write <out>/{train,val,test}.npz. Fails with one message saying what to download and
where to put it when the images are not there (the Omniglot stages do not depend on this one)."""
import argparse
import pathlib
import sys

from benchmark.datasets import miniimagenet, save_images


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=pathlib.Path, required=True)
    parser.add_argument("--params", type=pathlib.Path, default=pathlib.Path("params.yaml"))
    args = parser.parse_args(argv)
    from pipelines.fewshot import run_data_stage, settings

    cfg = settings.load(args.params).fewshot.miniimagenet

    def prepare():
        found = miniimagenet.check(pathlib.Path(cfg.images), pathlib.Path(cfg.splits))
        for split, paths in found.items():
            images = miniimagenet.load_split(paths)
            save_images(args.out / f"{split}.npz", images, list(paths), compress=False)
            print(f"{args.out / split}.npz: {images.shape}")

    return run_data_stage("miniimagenet_prepare", prepare)


if __name__ == "__main__":
    sys.exit(main())
