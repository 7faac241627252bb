"""``stamp_version(text, n)``: a rules file as it is kept once published as version ``n``.

Only the top-level ``version:`` value changes (a ``version: n`` line is added before the
first key when there is none): the author's comments, layout and quoting stay as written,
so what the console shows is the file they published, with the number it got.
"""

from __future__ import annotations

import yaml

from engagement.rules.model import Problem, RulesFileInvalid
from engagement.rules.parser import load_located


def stamp_version(text: str, version: int) -> str:
    """``text`` with its top-level ``version:`` set to ``version``. Raises
    ``RulesFileInvalid`` when the file is no mapping, or when its ``version:`` is written in
    a way that cannot be rewritten alone (an anchor used elsewhere, say)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        root = None
    if not isinstance(root, yaml.MappingNode) or not root.value:
        raise RulesFileInvalid([Problem(1, "the file must be a mapping with a 'rules' list")])
    stamped, line = _rewritten(text, root, version)
    before = load_located(text)
    before.pop("version", None)
    try:
        after = load_located(stamped)
        same = after.pop("version", None) == version and after == before
    except RulesFileInvalid:
        same = False
    if not same:
        raise RulesFileInvalid([Problem(line, "write the version as 'version: <number>' on a "
                                              "line of its own: publishing sets it")])  # fmt: skip
    return stamped


def _rewritten(text: str, root: yaml.MappingNode, version: int) -> tuple[str, int]:
    """The text with the version's value replaced (or a version key added), and its line."""
    for key, value in root.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "version":
            start, end = value.start_mark.index, value.end_mark.index
            return text[:start] + str(version) + text[end:], key.start_mark.line + 1
    if root.flow_style:  # {version: 1, rules: [...]}: inside the braces
        at = root.start_mark.index + 1
        return text[:at] + f"version: {version}, " + text[at:], root.start_mark.line + 1
    first = root.value[0][0].start_mark  # a line of its own, indented as the first key
    newline, indent = ("\r\n" if "\r\n" in text else "\n"), " " * first.column
    at = first.index - first.column
    if text[at : first.index].strip():  # the key does not start its line
        added = f"version: {version}{newline}{indent}"
        return text[: first.index] + added + text[first.index :], first.line + 1
    while at > 0:  # above the comment lines that introduce the first key
        above = text.rfind("\n", 0, at - 1) + 1
        if not text[above:at].lstrip().startswith("#"):
            break
        at = above
    added = f"{indent}version: {version}{newline}"
    return text[:at] + added + text[at:], first.line + 1
