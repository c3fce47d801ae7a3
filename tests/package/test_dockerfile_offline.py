"""`export dockerfile` with no network: the text never depends on reaching a registry or an index."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from lambdaserve.config import load_config
from lambdaserve.errors import BuildError
from lambdaserve.package.image.base import read_base
from lambdaserve.package.image.dockerfile_export import export_dockerfile
from lambdaserve.package.registry.client import RegistryUnreachable

PREDICTOR = '''
class Predictor:
    def __init__(self, model_dir):
        pass

    def predict(self, inputs):
        return {"y": [sum(r) for r in inputs["x"]]}
'''


def _project(root: Path, base: str, requirements: list[str]) -> Path:
    (root / "model").mkdir(parents=True)
    (root / "model" / "w.json").write_text("{}")
    (root / "predictor.py").write_text(PREDICTOR)
    reqs = ", ".join(f'"{r}"' for r in requirements)
    (root / "lambdaserve.toml").write_text(textwrap.dedent(f'''
        name = "offline"
        [model]
        path = "model"
        framework = "custom"
        predictor = "predictor:Predictor"
        [function]
        python = "3.12"
        package = "image"
        requirements = [{reqs}]
        [build]
        base_image = "{base}"
        [signature]
        inputs = [{{ name = "x", dtype = "float64", shape = [-1, 2] }}]
        outputs = [{{ name = "y", dtype = "float64", shape = [-1] }}]
    '''))
    return root


def _unreachable(image, arch, credentials, timeout):
    raise RegistryUnreachable("public.ecr.aws", "GET", "https://public.ecr.aws/v2/", OSError("no network"),
                              transient=False)


def _no_index(config, requirements, scratch):
    raise BuildError("pip could not resolve: Failed to establish a new connection", hint="offline")


def test_lambda_base_offline_is_known_to_have_the_bootstrap(tmp_path):
    root = _project(tmp_path / "p", "public.ecr.aws/lambda/python:3.12", ["threadpoolctl==3.8.0"])
    config = load_config(root)
    result = export_dockerfile(config, tmp_path / "out", read=_unreachable, install_dependencies=_no_index)
    text = result.dockerfile.read_text()
    assert result.runs_ric is False and "ENTRYPOINT" not in text
    assert "# NOTE: the base public.ecr.aws/lambda/python:3.12 was not inspected" in text
    assert "it is an AWS Lambda base" in text
    # for the offline text: the pins as written, resolved by pip at docker build time (said so)
    assert 'RUN pip install --default-timeout=200 --no-cache-dir --target "${LAMBDA_TASK_ROOT}" ' \
           '"threadpoolctl==3.8.0"' in text
    assert "--no-deps" not in text and result.unresolved == ("threadpoolctl==3.8.0",)
    assert any("not resolved here" in n for n in result.notes)
    assert (tmp_path / "out" / "code" / "predictor.py").is_file()


def test_unknown_base_unreachable_runs_awslambdaric(tmp_path):
    # A refused port: the real reader fails fast, no mock
    config = load_config(_project(tmp_path / "p", "127.0.0.1:9/debian/python:3.12", []))
    result = export_dockerfile(config, tmp_path / "out", install_dependencies=_no_index)
    text = result.dockerfile.read_text()
    assert result.runs_ric is True and 'ENTRYPOINT ["python3", "-m", "awslambdaric"]' in text
    assert any(r.startswith("awslambdaric==") for r in result.unresolved)
    assert "assumed to have no Lambda bootstrap" in text


def test_the_reader_is_asked_with_a_short_timeout(tmp_path):
    seen = []

    def reader(image, arch, credentials, timeout):
        seen.append(timeout)
        return _unreachable(image, arch, credentials, timeout)

    config = load_config(_project(tmp_path / "p", "public.ecr.aws/lambda/python:3.12", []))
    export_dockerfile(config, tmp_path / "out", read=reader, install_dependencies=_no_index)
    assert seen and seen[0] <= 5.0


def test_a_real_refused_registry_is_unreachable_quickly():
    with pytest.raises(RegistryUnreachable):
        read_base("127.0.0.1:9/x/y:1", "x86_64", None, timeout=1.0)
