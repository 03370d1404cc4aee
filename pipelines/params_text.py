"""Edit params.yaml as text, so that its comments, anchors and layout survive the edit.

A YAML library would drop the comments (PyYAML) or reflow the file (a round trip), and
params.yaml's comments are where each value's source is written down. `set_key` changes one
key's line, or adds it at the end of its block; the caller checks the result by parsing it.
Blocks are found by their keys' indentation, as the file writes them (block style, one key per
line); a layout it cannot read gives an error, never a wrong edit.
"""
import re

WIDTH = 100  # params.yaml's line length (the project's ruff setting)


def set_key(text: str, parents: tuple[str, ...], key: str, value: str) -> str:
    """`text` with `key: value` under the block `parents` (created where missing): the key's
    line (and its continuation lines) replaced if it is there, else added as the block's last."""
    lines = text.splitlines(keepends=True)
    start, end, indent = 0, len(lines), -2  # the whole file is the top block
    for depth, parent in enumerate(parents):
        found = _find(lines, start, end, parent, _child_indent(lines, start, end, indent))
        if found is None:  # create the rest of the path at the end of this block
            child = _child_indent(lines, start, end, indent)
            new = [" " * (child + 2 * i) + f"{p}:\n" for i, p in enumerate(parents[depth:])]
            at = _last_content(lines, start, end)
            entry = _render(" " * (child + 2 * len(parents[depth:])), key, value)
            return "".join(lines[:at] + new + entry + lines[at:])
        start, indent = found + 1, _indent(lines[found])
        end = _block_end(lines, start, end, indent)
    child = _child_indent(lines, start, end, indent)
    entry = _render(" " * child, key, value)
    found = _find(lines, start, end, key, child)
    if found is None:
        at = _last_content(lines, start, end)
        return "".join(lines[:at] + entry + lines[at:])
    stop = _block_end(lines, found + 1, end, child)
    stop = _last_content(lines, found + 1, stop)  # keep comments and blank lines that follow
    return "".join(lines[:found] + entry + lines[stop:])


def _render(indent: str, key: str, value: str) -> list[str]:
    one_line = f"{indent}{key}: {value}\n"
    if len(one_line) - 1 <= WIDTH:
        return [one_line]
    return [f"{indent}{key}:\n", f"{indent}  {value}\n"]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _block_end(lines: list[str], start: int, end: int, indent: int) -> int:
    """The first line from `start` that is content at `indent` or less (the block's end)."""
    for i in range(start, end):
        if _content(lines[i]) and _indent(lines[i]) <= indent:
            return i
    return end


def _last_content(lines: list[str], start: int, end: int) -> int:
    """Just after the block's last content line (before its trailing blanks and comments)."""
    at = start
    for i in range(start, end):
        if _content(lines[i]):
            at = i + 1
    return at


def _child_indent(lines: list[str], start: int, end: int, indent: int) -> int:
    for i in range(start, end):
        if _content(lines[i]):
            return _indent(lines[i])
    return indent + 2


def _find(lines: list[str], start: int, end: int, key: str, indent: int) -> int | None:
    pattern = re.compile(" " * indent + re.escape(key) + r":(\s|$)")
    hits = [i for i in range(start, end) if pattern.match(lines[i])]
    if len(hits) > 1:
        raise ValueError(f"key {key!r} appears {len(hits)} times in one block (lines "
                         f"{', '.join(str(i + 1) for i in hits)}): edit the file by hand")
    return hits[0] if hits else None
