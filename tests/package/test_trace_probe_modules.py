"""The modules a custom predictor's trace reports are ones a requirement could provide: not the
aliases scipy's Cython modules register (_cyutility, _csparsetools), nor the stdlib's generated
_sysconfigdata_*, which init and build then listed as 'not installed here'."""

from __future__ import annotations

import textwrap
from pathlib import Path

from lambdaserve.package.needs.find import trace_predictor
from lambdaserve.runtime import settings as rs

PREDICTOR = '''\
    class Predictor:
        def load(self, model_dir):
            import sysconfig

            import scipy.sparse

            self.eye = scipy.sparse.eye(2)
            sysconfig.get_config_vars()  # imports _sysconfigdata_<abi>_<platform>

        def predict(self, inputs):
            return [0.0 for _ in inputs["input"]]
'''


def test_aliases_and_generated_stdlib_modules_are_not_needs(tmp_path: Path) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / "scipy_predictor.py").write_text(textwrap.dedent(PREDICTOR))
    env = {rs.ENV_MODEL_DIR: str(tmp_path / "model"), rs.ENV_FRAMEWORK: "custom", rs.ENV_NAME: "t",
           rs.ENV_WARMUP: "0", rs.ENV_PREDICTOR: "scipy_predictor:Predictor"}
    traced, _notes, _inspection = trace_predictor(env, [tmp_path])
    assert "scipy" in traced and "numpy" in traced, traced
    odd = [m for m in traced if m.startswith(("_sysconfigdata", "_cyutility", "_csparsetools"))]
    assert odd == [], traced
