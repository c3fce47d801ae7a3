"""A rebuild reuses the verified trim while no file its smoke run read changed (issue 20).

The smoke runs are counted through the runner (every command runs for real), never timed.
"""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from pathlib import Path

from lambdaserve.config import load_config
from lambdaserve.package.process import run_command
from lambdaserve.package.zip.build import build_zip
from tests.package.test_zip_build import make_project, set_build

# The predictor tries an optional module: a file added under that name must re-verify.
PREDICTOR = '''
    import json
    from pathlib import Path

    try:
        from scorer import fast  # noqa: F401
    except ImportError:
        fast = None


    class Predictor:
        def load(self, model_dir):
            raw = json.loads((Path(model_dir) / "weights.json").read_text())
            self.w, self.b = raw["w"], raw["b"]

        def predict(self, inputs):
            return {"score": [sum(w * x for w, x in zip(self.w, row)) + self.b
                              for row in inputs["features"]]}
'''


class SmokeCounter:
    """A runner that runs every command for real and counts the smoke runs (the probe's)."""

    def __init__(self) -> None:
        self.smokes = 0

    def __call__(self, args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        if any(str(a).startswith('"""The smoke run behind') for a in args):
            self.smokes += 1
        return run_command(args, **kwargs)  # type: ignore[arg-type]


def _project(folder: Path) -> Path:
    project = make_project(folder)
    (project / "scorer" / "linear.py").write_text(textwrap.dedent(PREDICTOR))
    set_build(project)  # both verified options on, as by default
    return project


def _smokes(project: Path, py312) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    runner = SmokeCounter()
    built = build_zip(load_config(project), interpreter=py312, runner=runner)
    return runner.smokes, built.sha256


def test_a_rebuild_reuses_the_trim_until_a_file_the_smoke_run_read_changes(tmp_path, py312):
    project = _project(tmp_path / "p")
    first, sha = _smokes(project, py312)
    assert first >= 2  # traced, then verified

    # Unimported files added and edited, in the shipped package and beside it: nothing to rerun.
    (project / "scorer" / "unused.py").write_text("RATE = 1\n")
    (project / "notes.txt").write_text("edited")
    assert _smokes(project, py312)[0] == 0
    (project / "scorer" / "unused.py").write_text("RATE = 2\n")
    again, sha_again = _smokes(project, py312)
    assert again == 0
    # The reused result makes the same zip as a fresh verification of the same tree.
    shutil.rmtree(project / ".lambdaserve" / "cache" / "trim")
    assert _smokes(project, py312) == (first, sha_again) and sha_again != sha  # unused.py ships

    # An imported file changed: traced and verified again.
    linear = project / "scorer" / "linear.py"
    linear.write_text(linear.read_text() + "\n# edited\n")
    assert _smokes(project, py312)[0] == first
    assert _smokes(project, py312)[0] == 0

    # A file added under a name the import system looked for and did not find.
    (project / "scorer" / "fast.py").write_text("")
    assert _smokes(project, py312)[0] == first


def test_a_changed_model_file_list_or_custom_check_reverifies(tmp_path, py312):
    project = _project(tmp_path / "p")
    first, _ = _smokes(project, py312)
    (project / "model" / "extra.json").write_text("{}")  # the runtime chooses among the model's files
    assert _smokes(project, py312)[0] == first
    # A caller's own verifier is always run: only the default check's results are stored.
    runner = SmokeCounter()
    build_zip(load_config(project), interpreter=py312, runner=runner,
              trim_verifier=lambda before, after: None)
    assert runner.smokes == first
