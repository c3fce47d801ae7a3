"""api.docs decides whether the try-it page's Swagger UI ships, and the shipped zip serves it."""

from __future__ import annotations

import base64
import gzip
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from lambdaserve.config import load_config
from lambdaserve.package import sources
from lambdaserve.runtime import docs
from tests.package.test_zip_build import _build, make_project, wheels  # noqa: F401  (fixture)

VENDORED = {f"lambdaserve/vendor/swagger_ui/{name}" for name in (
    "swagger-ui-bundle.js", "swagger-ui-bundle.js.LICENSE.txt", "swagger-ui.css", "LICENSE", "NOTICE")}


def _with_docs(project: Path) -> Path:
    toml = project / "lambdaserve.toml"
    toml.write_text(toml.read_text() + "\n[api]\ndocs = true\n")
    return project


def test_docs_files_follow_api_docs(tmp_path):
    project = make_project(tmp_path / "p")
    assert sources.docs_files(load_config(project)) == []
    shipped = {f.name for f in sources.docs_files(load_config(_with_docs(project)))}
    assert shipped == VENDORED


def test_zip_without_docs_has_no_swagger_ui(tmp_path, wheels, py312):  # noqa: F811
    names = set(zipfile.ZipFile(_build(make_project(tmp_path / "p"), wheels, py312).path).namelist())
    assert not [n for n in names if n.startswith("lambdaserve/vendor/")]


def test_zip_with_docs_serves_the_page_from_its_own_files(tmp_path, wheels, py312):  # noqa: F811
    result = _build(_with_docs(make_project(tmp_path / "p")), wheels, py312)
    task = tmp_path / "task"
    with zipfile.ZipFile(result.path) as zf:
        assert set(zf.namelist()) >= VENDORED
        zf.extractall(task)
    # The unzipped package alone, as /var/task: the runtime must find the assets inside it.
    script = (
        "import json, sys\n"
        "import lambdaserve\n"
        "assert lambdaserve.__file__.startswith(sys.argv[1]), lambdaserve.__file__\n"
        "from lambdaserve.runtime.handler import lambda_handler\n"
        "event = json.load(sys.stdin)\n"
        "print(json.dumps(lambda_handler(event, None)))\n"
    )
    event = json.loads((Path(__file__).parents[1] / "events" / "apigw-rest-proxy.json").read_text())
    route = docs.ASSET_ROUTE + "swagger-ui.css"
    event.update(httpMethod="GET", path=route, resource=route, body=None)
    event["requestContext"]["path"] = "/prod" + route
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAMBDASERVE_")}
    env.update(PYTHONPATH=str(task), LAMBDASERVE_MODEL_DIR=str(task / "model"), LAMBDASERVE_DOCS="1",
               LAMBDASERVE_FRAMEWORK="custom", LAMBDASERVE_PREDICTOR="scorer.linear:Predictor",
               LAMBDASERVE_WARMUP="0")
    out = subprocess.run([sys.executable, "-c", script, str(task)],
                         input=json.dumps(event), capture_output=True, text=True, env=env, cwd=task,
                         timeout=120, check=True)
    answer = json.loads(out.stdout.strip().splitlines()[-1])
    assert answer["statusCode"] == 200
    # sam's sample event accepts gzip, so the asset comes compressed and base64-encoded.
    assert answer["isBase64Encoded"] and answer["headers"]["Content-Encoding"] == "gzip"
    body = gzip.decompress(base64.b64decode(answer["body"]))
    assert body == (task / "lambdaserve/vendor/swagger_ui/swagger-ui.css").read_bytes()
