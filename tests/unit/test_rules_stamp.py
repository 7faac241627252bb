"""A published rules file keeps the author's text, with its ``version:`` set to its number."""

from __future__ import annotations

from pathlib import Path

import pytest

from engagement.rules import RulesFileInvalid, parse_rules, stamp_version

DEFAULT = (Path(__file__).parents[2] / "rewards" / "rules.yml").read_text()


def test_only_the_version_line_of_the_default_catalogue_changes() -> None:
    stamped = stamp_version(DEFAULT, 4)
    changed = [(a, b) for a, b in zip(DEFAULT.splitlines(), stamped.splitlines(), strict=True)
               if a != b]  # fmt: skip
    assert changed == [("version: 1", "version: 4")]


@pytest.mark.parametrize(
    ("text", "stamped"),
    [
        ("version: 1   # set when published\nrules: []\n",
         "version: 12   # set when published\nrules: []\n"),
        ('version: "1"\r\nrules: []\r\n', "version: 12\r\nrules: []\r\n"),
        ("{version: 1, rules: []}", "{version: 12, rules: []}"),
        ("{rules: []}", "{version: 12, rules: []}"),
        ("rules: []\n", "version: 12\nrules: []\n"),
        ("# my rules\n\n# what expires\npoints_expiry: {}\n",
         "# my rules\n\nversion: 12\n# what expires\npoints_expiry: {}\n"),
        ("# a\r\n\r\nrules: []\r\n", "# a\r\n\r\nversion: 12\r\nrules: []\r\n"),
    ],
)  # fmt: skip
def test_the_version_is_written_in_place_or_added_before_the_first_key(
    text: str, stamped: str
) -> None:
    assert stamp_version(text, 12) == stamped


def test_a_file_without_a_version_line_is_valid_and_gets_one() -> None:
    without = DEFAULT.replace("version: 1\n", "")
    parse_rules(without)
    stamped = stamp_version(without, 3)
    assert stamped.replace("version: 3\n", "") == without
    assert stamped.index("version: 3") < stamped.index("points_expiry")


def test_a_version_that_cannot_be_rewritten_alone_is_reported_at_its_line() -> None:
    text = "# rules\nversion: &v 1\nrules: [{id: a, on: purchase, then: {points: *v}}]\n"
    with pytest.raises(RulesFileInvalid) as caught:
        stamp_version(text, 3)
    assert [p.line for p in caught.value.problems] == [2]
