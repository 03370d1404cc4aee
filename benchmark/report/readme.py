"""Generated blocks in README.md: a table between two marker comments, replaced on each report."""
import pathlib
import re


def refresh_block(readme: pathlib.Path, text: str, start: str, end: str) -> None:
    """Replace what stands between `start` and `end` with `text`; an error if the markers are gone."""
    content = readme.read_text()
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    if not pattern.search(content):
        raise ValueError(f"{readme} has no {start} ... {end} block to refresh")
    readme.write_text(pattern.sub(lambda _: f"{start}\n{text}\n{end}", content))
