"""Issue 8's flow as the classic SAM blog does it, through the real CLI and a real local Lambda:
TorchScript model → init → build refuses what cannot load → doctor → serve → curl-like POST to
/model_x_inference/ (trailing slash, no content type) → torch's own prediction.

Building the accepted image is not done here: it needs the Lambda base from public.ecr.aws and
torch's manylinux wheels (gigabytes), neither of which this test may download.
"""

from __future__ import annotations

import http.client
import json
import re
import signal
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

from tests import models
from tests.cli.test_init_invoke_frameworks import _declare_signature
from tests.helpers import stop_process

pytestmark = [pytest.mark.slow]
LAMBDASERVE = str(Path(sys.executable).with_name("lambdaserve"))


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LAMBDASERVE, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_torchscript_blog_flow(tmp_path: Path) -> None:
    made = models.torchscript_mlp(tmp_path)
    torch_version = metadata.version("torch").split("+")[0]

    done = _run(["init", "--model", made.path.name], tmp_path)
    assert done.returncode == 0, done.stderr
    toml = tmp_path / "lambdaserve.toml"
    text = toml.read_text()
    assert 'package = "image"' in text  # torch can never fit a 250 MB zip
    assert f'"torch=={torch_version}"' in text
    assert "download.pytorch.org/whl/cpu" in done.stderr  # the CPU-only index note
    _declare_signature(toml, models.TORCH_SIGNATURE)
    toml.write_text(toml.read_text().replace('path = "/predict"', 'path = "/model_x_inference"'))

    # build refuses what could not load the model, before any download
    as_zip = _run(["build", "--package", "zip"], tmp_path)
    assert as_zip.returncode == 1 and "does not fit in a Lambda zip" in as_zip.stderr, as_zip.stderr
    saved = toml.read_text()
    without = re.sub(rf'"torch=={re.escape(torch_version)}"(, )?', "", saved).replace(", ]", "]")
    assert without != saved
    toml.write_text(without)
    no_torch = _run(["build"], tmp_path)
    assert no_torch.returncode == 1, no_torch.stderr
    assert "the model needs torch, which function.requirements" in no_torch.stderr
    assert f'"torch=={torch_version}"]' in no_torch.stderr  # the line to write back
    toml.write_text(saved)

    # the doctor finds nothing fatal in the project as init wrote it (and says so in JSON)
    doctor = _run(["doctor", "--offline", "--json"], tmp_path)
    report = json.loads(doctor.stdout)
    assert doctor.returncode == 0 and report["errors"] == 0, doctor.stdout + doctor.stderr
    smoke = next(f for f in report["findings"] if f["check"] == "smoke")
    assert smoke["severity"] == "ok"

    proc = subprocess.Popen([LAMBDASERVE, "serve", "--port", "0", "--concurrency", "1"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        found = re.search(r"at http://127\.0\.0\.1:(\d+)(/prod/model_x_inference)", first)
        assert found, first
        conn = http.client.HTTPConnection("127.0.0.1", int(found[1]), timeout=120)
        # exactly the blog's curl: -X POST .../model_x_inference/ -d '{...}' (curl's form content type)
        conn.request("POST", "/prod/model_x_inference/", body=json.dumps({"data": made.rows}),
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        res = conn.getresponse()
        answer = json.loads(res.read())
        conn.close()
        assert res.status == 200, answer
        predictions = np.asarray(answer["predictions"])
        assert np.allclose(predictions, made.expected["logits"], rtol=1e-5, atol=1e-6)
    finally:
        err = stop_process(proc, sig=signal.SIGINT) or ""
    assert '"POST /prod/model_x_inference/ HTTP/1.1" 200' in err
