"""doctor's smoke run takes the built zip only while it still shows the project: a predictor
changed after the build is run from the project folder, and the finding says why."""

from __future__ import annotations

import os
import textwrap

import pytest

from lambdaserve.config import load_config
from tests.cli.test_build_proof import _build, _project, _untrimmed

# What the user changed after building: the predictor no longer loads.
BROKEN = '''
    class Predictor:
        def load(self, model_dir):
            raise RuntimeError("the weights file moved")

        def predict(self, inputs):
            return [0.0]
'''


@pytest.mark.slow
def test_a_predictor_changed_after_the_build_is_smoked_from_the_project_folder(tmp_path, py312):
    from lambdaserve.cli.doctor_probes import smoke_probe
    from lambdaserve.doctor import Probes, Severity
    from lambdaserve.doctor.checks import smoke
    from tests.doctor.support import context, only

    project = _project(tmp_path)
    _untrimmed(project)
    assert _build(project).exit_code == 0
    built = (project / ".lambdaserve" / "build" / "tiny.zip").stat().st_mtime
    predictor = project / "scorer" / "linear.py"
    predictor.write_text(textwrap.dedent(BROKEN))
    os.utime(predictor, (built + 5, built + 5))  # later than the zip, whatever the clock's granularity
    finding = only(smoke.CHECK, context(project, probes=Probes(smoke=smoke_probe(load_config(project)))))
    # the zip would still load and answer: only the project folder shows what the next build ships
    assert finding.severity is Severity.ERROR, finding.message
    assert "[ran the project folder in the dev venv, not the package: scorer/linear.py changed after the " \
           "zip was built" in finding.message
