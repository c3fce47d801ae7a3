"""`build` proves the zip (the package itself must load the model and answer), and `deploy`'s
smoke test POSTs the golden requests it recorded.

The project is a pure-Python custom predictor (tests/package/test_zip_build.py's), so a build
takes seconds; the proof runs it in the real local Lambda, as `serve --artifact` does.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from lambdaserve.cli.main import cli
from lambdaserve.config import load_config
from lambdaserve.package.zip.build import build_zip
from tests.helpers import share_runtime_support
from tests.package.test_zip_build import UNTRIMMED, make_project

# Loads fine and answers a zero row; a row with a negative value needs threadpoolctl, installed
# here (with scikit-learn) but not listed in function.requirements. Neither init's trace nor the
# trim's (both predict a zero row) sees it: only a golden request with such a row does.
NEEDS_THREADPOOLCTL = '''
    import json
    from pathlib import Path


    class Predictor:
        def load(self, model_dir):
            raw = json.loads((Path(model_dir) / "weights.json").read_text())
            self.w, self.b = raw["w"], raw["b"]

        def predict(self, inputs):
            if any(x < 0 for row in inputs["features"] for x in row):
                import threadpoolctl  # noqa: F401 (clipping negative rows uses it, say)
            return {"score": [sum(w * x for w, x in zip(self.w, row)) + self.b for row in inputs["features"]]}
'''

# Loads fine and answers /health; every prediction raises.
FAILS_ON_PREDICT = '''
    class Predictor:
        def load(self, model_dir):
            pass

        def predict(self, inputs):
            raise ValueError("the scaler was fitted on 3 features, got 2")
'''


def _project(tmp_path: Path) -> Path:
    """make_project's predictor with no requirements; the proof runs it on the shared awslambdaric."""
    project = make_project(tmp_path / "p", requirements=())
    share_runtime_support(project)
    return project


def _predictor(project: Path, source: str) -> None:
    (project / "scorer" / "linear.py").write_text(textwrap.dedent(source))


def _untrimmed(project: Path) -> None:
    toml = project / "lambdaserve.toml"
    if UNTRIMMED not in toml.read_text():
        toml.write_text(toml.read_text() + UNTRIMMED)


def _trimmed(project: Path) -> None:
    toml = project / "lambdaserve.toml"
    toml.write_text(toml.read_text().replace(UNTRIMMED, ""))


def _build(project: Path, *args: str):
    return CliRunner().invoke(cli, ["build", "--config", str(project), *args])


def _training_answer(rows: list[list[float]]) -> list[float]:
    """What the model answers in the training process: w . x + b with make_project's weights."""
    return [2.0 * x - 1.0 * y + 0.5 for x, y in rows]


@pytest.mark.slow
@pytest.mark.parametrize("trim", [True, False], ids=["traced-trim-run", "emulator-proof"])
def test_a_module_missing_from_requirements_fails_the_build_naming_the_distribution(tmp_path, py312, trim):
    from importlib import metadata

    project = _project(tmp_path)
    (_trimmed if trim else _untrimmed)(project)
    _predictor(project, NEEDS_THREADPOOLCTL)
    (project / "golden.json").write_text(json.dumps([[[-1.0, 2.0]]]))
    result = _build(project)
    assert result.exit_code == 1, result.output
    version = metadata.version("threadpoolctl")
    assert ("the package cannot answer golden.json #1 (500): it needs the module 'threadpoolctl'"
            in result.output)
    assert f'[function] table:\n    requirements = ["threadpoolctl=={version}"]' in result.output
    build = project / ".lambdaserve" / "build"
    assert not (build / "build.json").exists()  # nothing claims a good build
    assert (build / "tiny.zip.failed").is_file() and not (build / "tiny.zip").exists()  # set aside
    # the fix the error names makes it build
    config = (project / "lambdaserve.toml").read_text()
    (project / "lambdaserve.toml").write_text(
        config.replace("requirements = []", f'requirements = ["threadpoolctl=={version}"]'))
    fixed = _build(project)
    assert fixed.exit_code == 0, fixed.output
    assert "proved" in fixed.output and (build / "build.json").is_file()


@pytest.mark.slow
def test_the_package_answers_the_training_process_predictions_and_build_json_records_them(tmp_path, py312):
    project = _project(tmp_path)
    _untrimmed(project)
    rows = [[1.0, 2.0], [3.5, -1.0], [0.25, 0.125]]
    (project / "golden.json").write_text(json.dumps([{"data": rows}, [[10.0, 20.0]]]))
    result = _build(project)
    assert result.exit_code == 0, result.output
    assert "answered 2 golden requests from golden.json" in result.output
    record = json.loads((project / ".lambdaserve" / "build" / "build.json").read_text())
    golden = record["golden"]
    assert golden["sha256"] == record["sha256"] and record["proof"]["ran"] is True
    answers = [(r["name"], r["body"]["data"], r["answer"]["predictions"]) for r in golden["requests"]]
    assert [name for name, _, _ in answers] == ["golden.json #1", "golden.json #2"]
    for _name, data, predictions in answers:
        assert predictions == pytest.approx(_training_answer(data), abs=1e-12)
    # invoke --built runs that zip, and says so
    invoked = CliRunner().invoke(cli, ["invoke", "--built", "--config", str(project),
                                       "--data", "[[1.0, 2.0]]"])
    assert invoked.exit_code == 0, invoked.output
    assert "Running the built zip" in invoked.output and "tiny.zip as /var/task" in invoked.output
    assert '{"predictions": [0.5]}' in invoked.output
    # --data wins over golden.json
    again = _build(project, "--data", "[[4.0, 4.0]]")
    assert again.exit_code == 0, again.output
    record = json.loads((project / ".lambdaserve" / "build" / "build.json").read_text())
    assert [r["answer"] for r in record["golden"]["requests"]] == [{"predictions": [4.5]}]


@pytest.mark.slow
def test_without_golden_requests_the_signature_zero_row_is_proved(tmp_path, py312):
    project = _project(tmp_path)
    _untrimmed(project)
    result = _build(project)
    assert result.exit_code == 0, result.output
    record = json.loads((project / ".lambdaserve" / "build" / "build.json").read_text())
    (request,) = record["golden"]["requests"]
    assert request["name"] == "signature zero row" and request["body"] == {"data": [[0.0, 0.0]]}
    assert request["answer"] == {"predictions": [0.5]}


@pytest.mark.slow
def test_a_package_whose_predict_fails_is_refused_by_build(tmp_path, py312):
    project = _project(tmp_path)
    _untrimmed(project)
    _predictor(project, FAILS_ON_PREDICT)
    result = _build(project)
    assert result.exit_code == 1, result.output
    assert "the package cannot answer signature zero row (500)" in result.output
    assert "the scaler was fitted on 3 features" in result.output


def _deploy(project: Path, *args: str):
    return CliRunner().invoke(cli, ["deploy", "--target", "local", "--yes", "--no-serve", "--skip-doctor",
                                    "--config", str(project), *args])


@pytest.mark.slow
def test_a_deploy_to_the_local_cloud_whose_predict_fails_fails_at_the_smoke_test(tmp_path, py312):
    project = _project(tmp_path)
    _untrimmed(project)
    _predictor(project, FAILS_ON_PREDICT)
    # built by the library, without the CLI's proof: the smoke test is the first to send a prediction
    zip_path = build_zip(load_config(project), interpreter=py312).path
    result = _deploy(project, "--artifact", str(zip_path))
    assert result.exit_code == 1, result.output
    assert "deployed, but the smoke test failed" in result.output
    assert "answered 500" in result.output
    assert "ValueError" in result.output and "the scaler was fitted on 3 features" in result.output


@pytest.mark.slow
def test_a_deployed_package_answering_otherwise_than_recorded_fails_at_the_smoke_test(tmp_path, py312):
    project = _project(tmp_path)
    _untrimmed(project)
    record_path = project / ".lambdaserve" / "build" / "build.json"
    ok = _deploy(project)  # builds and proves again, then the smoke test passes
    assert ok.exit_code == 0, ok.output
    assert "1 golden requests answered as recorded" in ok.output
    # the same zip, its recorded answer changed: what a package answering differently looks like
    record = json.loads(record_path.read_text())
    record["golden"]["requests"][0]["answer"] = {"predictions": [1.75]}
    record_path.write_text(json.dumps(record))
    result = _deploy(project, "--artifact", str(project / ".lambdaserve" / "build" / "tiny.zip"))
    assert result.exit_code == 1, result.output
    assert "answered differently: predictions[0]: 0.5 instead of 1.75" in result.output


@pytest.mark.slow
def test_the_doctor_smoke_runs_the_built_zip_and_its_golden_requests(tmp_path, py312):
    from lambdaserve.cli.doctor_probes import smoke_probe
    from lambdaserve.doctor import Probes, Severity
    from lambdaserve.doctor.checks import smoke
    from tests.doctor.support import context, only

    project = _project(tmp_path)
    _untrimmed(project)
    assert _build(project).exit_code == 0
    config = load_config(project)
    finding = only(smoke.CHECK, context(project, probes=Probes(smoke=smoke_probe(config))))
    assert finding.severity is Severity.OK and "[ran the built zip tiny.zip (" in finding.message
    record_path = project / ".lambdaserve" / "build" / "build.json"
    record = json.loads(record_path.read_text())
    record["golden"]["requests"][0]["answer"] = {"predictions": [9.0]}
    record_path.write_text(json.dumps(record))
    finding = only(smoke.CHECK, context(project, probes=Probes(smoke=smoke_probe(config))))
    assert finding.severity is Severity.ERROR
    assert "golden request signature zero row: answered differently: predictions[0]: 0.5 instead of 9.0" \
        in finding.message


# Answers otherwise in the local Lambda (which sets Lambda's variables) than in the dev venv.
DIFFERS_IN_LAMBDA = """
    import os


    class Predictor:
        def load(self, model_dir):
            self.b = 0.5 if os.environ.get("AWS_LAMBDA_FUNCTION_NAME") else 1.5

        def predict(self, inputs):
            return {"score": [row[0] + self.b for row in inputs["features"]]}
"""


@pytest.mark.slow
def test_build_says_when_this_venv_and_the_package_answer_differently(tmp_path, py312):
    project = _project(tmp_path)
    _untrimmed(project)
    _predictor(project, DIFFERS_IN_LAMBDA)
    result = _build(project)
    assert result.exit_code == 0, result.output  # a warning: the package is what ships, and it answers
    assert ("signature zero row: this venv and the package answer differently: predictions[0]: "
            "1.5 instead of 0.5") in result.output


def test_a_version_skew_between_this_venv_and_the_package_is_named(tmp_path):
    from importlib import metadata

    from lambdaserve.cli.build_proof import Proof, compare_dev

    here = metadata.version("click")
    config = load_config(_project(tmp_path))
    shipped = [("click", "0.0.1"), ("no-such-dist", "1.0"), ("click", here)]
    found = compare_dev(config, Proof(True, ""), shipped)
    assert found == [f"the package ships click 0.0.1; this venv has {here}: answers can differ"]


@pytest.mark.slow
def test_deploy_builds_and_proves_through_builds_own_path_and_says_the_same(tmp_path, py312):
    """One build-and-prove function: deploy's summary is build's, line for line (it used to
    print its own shorter copy, without the trim notes or what the proof ran on)."""
    project = _project(tmp_path)
    _trimmed(project)  # the trim runs and reports
    built = _build(project)
    assert built.exit_code == 0, built.output
    keep = ("  sha256", "  zipped", "  unzipped", "  trimmed", "  largest", "  proved", "warning:")
    said = [line for line in built.output.splitlines() if line.startswith(keep)]
    assert any(line.startswith("  proved    the zip as /var/task") for line in said), built.output
    # deploy would reuse build's proof (nothing changed) and say so: forget it, so deploy proves too
    shutil.rmtree(project / ".lambdaserve" / "cache" / "proof")
    deployed = _deploy(project, "--dry-run")
    assert deployed.exit_code == 0, deployed.output
    missing = [line for line in said if line not in deployed.output.splitlines()]
    assert not missing, deployed.output
