"""DVC stage `omniglot_prepare`: the 1623 characters as 28×28 arrays, and the committed split."""
import argparse
import json
import pathlib

from benchmark.datasets import omniglot, save_images


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--raw", type=pathlib.Path, required=True, help="omniglot_fetch's --out")
    parser.add_argument("--out", type=pathlib.Path, required=True)
    parser.add_argument("--split", type=pathlib.Path, required=True)
    args = parser.parse_args(argv)

    archives = [args.raw / name for name in omniglot.ARCHIVES]
    for path in archives:
        omniglot.verify(path)
    names, images = omniglot.read_characters(archives)
    save_images(args.out, images, names)
    parts = omniglot.split(names)
    args.split.parent.mkdir(parents=True, exist_ok=True)
    args.split.write_text(json.dumps({
        "derivation": "sorted 'Alphabet/characterNN' names of images_background + "
                      "images_evaluation, shuffled by Python random.Random(1); first 1100 train, "
                      "next 100 val, last 423 test (cbfinn/maml sizes); each list sorted",
        **parts}, indent=1) + "\n")
    print(f"{args.out}: {images.shape}; split {({k: len(v) for k, v in parts.items()})}")


if __name__ == "__main__":
    main()
