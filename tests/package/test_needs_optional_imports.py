"""A custom predictor's traced imports pin what it needs, not what a library imported only
because it was installed here: scikit-learn 1.9 imports rich.progress in a try/except ImportError,
so every venv with lambdaserve (which needs rich) saw rich pinned in the function. A module the
predictor itself imports, or a library imports without such a guard or declares in its metadata,
stays needed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import lambdaserve
from lambdaserve.package.needs.find import trace_predictor
from lambdaserve.runtime import settings as rs
from tests.helpers import require_installed

OPTIONAL = "try:\n    import extrathing\nexcept ImportError:\n    extrathing = None\n"
LIBRARIES = {  # module -> (its source, its Requires-Dist)
    "extrathing": ("VALUE = 1\n", ""),
    "fancylib": (OPTIONAL, ""),  # optional, undeclared: not needed through it
    "needylib": (OPTIONAL, "Requires-Dist: extrathing\n"),  # guarded, but its metadata requires it
    "strictlib": ("try:\n    import extrathing\nexcept ImportError as e:\n"
                  "    raise RuntimeError('no') from e\n", ""),  # the handler raises: required
    "plainlib": ("import extrathing\n", ""),
}
PREDICTORS = {
    "fancy": "import fancylib",
    "fancy_and_mine": "import fancylib\nimport extrathing",  # the project's own import of it
    "mine_optional": "import fancylib\ntry:\n    import extrathing\nexcept ImportError:\n    pass",
    "needy": "import needylib",
    "strict": "import strictlib",
    "plain": "import plainlib",
}
PREDICTOR = '''
{imports}


class Predictor:
    def load(self, model_dir):
        pass

    def predict(self, inputs):
        return [0.0 for _ in inputs["x"]]
'''
RUN = '''
import json, sys
from pathlib import Path
from lambdaserve.package.needs.find import model_needs

project = Path(sys.argv[1])
found = {}
for name in sys.argv[2:]:
    env = {"LAMBDASERVE_MODEL_DIR": str(project / "model"), "LAMBDASERVE_FRAMEWORK": "custom",
           "LAMBDASERVE_NAME": "t", "LAMBDASERVE_WARMUP": "0", "LAMBDASERVE_PREDICTOR": f"{name}:Predictor"}
    needs = model_needs(project / "model", "custom", env=env, local_roots=[project])
    found[name] = sorted(n.distribution for n in needs.needs)
print(json.dumps(found))
'''


def _site(site: Path) -> None:
    for module, (source, requires) in LIBRARIES.items():
        (site / module).mkdir(parents=True)
        (site / module / "__init__.py").write_text(source)
        info = site / f"{module}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n{requires}")
        (info / "top_level.txt").write_text(module + "\n")


@pytest.mark.slow
def test_a_librarys_optional_import_is_not_a_need_but_the_predictors_own_is(tmp_path: Path) -> None:
    site, project = tmp_path / "site", tmp_path / "project"
    _site(site)
    (project / "model").mkdir(parents=True)
    for name, imports in PREDICTORS.items():
        (project / f"{name}.py").write_text(PREDICTOR.format(imports=imports))
    tool = Path(lambdaserve.__file__).parent.parent
    done = subprocess.run([sys.executable, "-c", RUN, str(project), *PREDICTORS], capture_output=True,
                          text=True, timeout=300, cwd=tmp_path,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{site}:{tool}",
                               "LAMBDASERVE_CACHE_DIR": str(tmp_path / "cache")})
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["fancy"] == ["fancylib"]  # extrathing: fancylib goes on without it
    assert found["fancy_and_mine"] == ["extrathing", "fancylib"]
    assert found["mine_optional"] == ["extrathing", "fancylib"]  # the project's own try: still its choice
    assert found["needy"] == ["extrathing", "needylib"]
    assert found["strict"] == ["extrathing", "strictlib"]
    assert found["plain"] == ["extrathing", "plainlib"]


SKLEARN = '''
import sys


class Predictor:
    def load(self, model_dir):
        import numpy as np
        from sklearn.linear_model import LogisticRegression
        if "rich" not in sys.modules:
            raise RuntimeError("this scikit-learn did not import rich: the test no longer tests it")
        self.model = LogisticRegression().fit(np.eye(4), [0, 1, 0, 1])

    def predict(self, inputs):
        return self.model.predict(inputs["x"]).tolist()
'''


@pytest.mark.slow
def test_scikit_learn_importing_rich_here_does_not_pin_rich(tmp_path: Path) -> None:
    require_installed("sklearn", "rich")  # a predictor's own import of it: fancy_and_mine above
    (tmp_path / "model").mkdir()
    (tmp_path / "plain.py").write_text(SKLEARN)
    env = {rs.ENV_MODEL_DIR: str(tmp_path / "model"), rs.ENV_FRAMEWORK: "custom", rs.ENV_NAME: "t",
           rs.ENV_WARMUP: "0", rs.ENV_PREDICTOR: "plain:Predictor"}
    traced, _notes, inspection = trace_predictor(env, [tmp_path])
    assert inspection.failure is None, inspection.failure  # scikit-learn did import rich
    assert "sklearn" in traced and "numpy" in traced
    assert "rich" not in traced, traced
