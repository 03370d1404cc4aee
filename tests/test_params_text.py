"""Editing params.yaml as text: comments and layout survive, the edit lands in its block."""
import pytest
import yaml

from pipelines import params_text

TEXT = """\
# header
top:  # a comment on the block
  runs:
    a: {x: 1}  # why a
    b:
      {x: 2}

  # a comment before the next block
  other: 3
profiles:
  cpu:
    max: 10
"""


def test_a_new_key_goes_last_in_its_block_before_the_comments_that_follow():
    out = params_text.set_key(TEXT, ("top", "runs"), "c", "{x: 3}")
    assert yaml.safe_load(out)["top"]["runs"] == {"a": {"x": 1}, "b": {"x": 2}, "c": {"x": 3}}
    assert out.replace("    c: {x: 3}\n", "") == TEXT
    assert out.index("c: {x: 3}") < out.index("# a comment before the next block")


def test_an_existing_key_is_replaced_with_its_continuation_lines():
    out = params_text.set_key(TEXT, ("top", "runs"), "b", "{x: 5}")
    assert yaml.safe_load(out)["top"]["runs"]["b"] == {"x": 5}
    assert "# why a" in out and "# a comment before the next block" in out
    assert len(out.splitlines()) == len(TEXT.splitlines()) - 1


def test_missing_parents_are_created_at_the_end_of_the_block():
    out = params_text.set_key(TEXT, ("profiles", "cpu", "run_iterations"), "a", "500")
    assert yaml.safe_load(out)["profiles"]["cpu"] == {"max": 10, "run_iterations": {"a": 500}}
    assert out.startswith(TEXT)


def test_a_value_past_the_line_length_goes_on_its_own_line():
    key = "omniglot_20w5s-context_vector-12"
    value = "{" + ", ".join(f"k{i}: {i}" for i in range(11)) + "}"
    out = params_text.set_key(TEXT, ("top", "runs"), key, value)
    assert yaml.safe_load(out)["top"]["runs"][key] == yaml.safe_load(value)
    assert f"    {key}:\n      {{k0: 0" in out and max(map(len, out.splitlines())) <= 100


def test_a_key_written_twice_in_a_block_is_refused():
    with pytest.raises(ValueError, match="appears 2 times"):
        params_text.set_key(TEXT + "  cpu: 2\n", ("profiles",), "cpu", "1")
