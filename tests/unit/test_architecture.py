"""engagement/ is the core: it must not know Rasa, the actions or the composition root."""

import ast
from pathlib import Path

FORBIDDEN = ("rasa", "rasa_sdk", "actions", "bot", "sanic")
CORE = Path(__file__).resolve().parents[2] / "engagement"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_engagement_imports_nothing_from_rasa_actions_or_bot() -> None:
    offenders = {
        f"{path.relative_to(CORE.parent)}: {module}"
        for path in CORE.rglob("*.py")
        for module in imported_modules(path)
        if module.split(".")[0] in FORBIDDEN
    }
    assert not offenders, offenders


def test_the_check_sees_the_core() -> None:
    # guards the guard: an empty glob would make the test above pass vacuously
    assert len(list(CORE.rglob("*.py"))) >= 5
