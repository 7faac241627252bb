import shutil
from pathlib import Path

from bot.composition import PROJECT_DIR
from bot.training import MODEL_INPUTS, inputs_hash


def copy_inputs(target: Path) -> Path:
    for name in MODEL_INPUTS:
        source = PROJECT_DIR / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, target / name)
    return target


def test_the_hash_is_stable_and_changes_with_the_training_data(tmp_path: Path) -> None:
    project = copy_inputs(tmp_path)
    before = inputs_hash(project)
    assert inputs_hash(project) == before == inputs_hash(PROJECT_DIR)
    rules = project / "data" / "rules" / "basics.yml"
    rules.write_text(rules.read_text() + "\n# a comment changes the inputs\n")
    assert inputs_hash(project) != before


def test_files_outside_the_inputs_do_not_retrain(tmp_path: Path) -> None:
    project = copy_inputs(tmp_path)
    before = inputs_hash(project)
    (project / "README.md").write_text("docs only")
    assert inputs_hash(project) == before
