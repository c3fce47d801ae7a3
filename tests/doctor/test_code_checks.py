"""Check 6 (static scan and a smoke run in the local Lambda without /dev/shm) and check 7 (cold start)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from lambdaserve.cli.doctor_probes import smoke_probe
from lambdaserve.config import load_config
from lambdaserve.config.sources import user_code_files
from lambdaserve.doctor import Probes, Severity, SmokeRun
from lambdaserve.doctor.checks import cold_start, multiprocessing_scan, smoke
from lambdaserve.doctor.checks.multiprocessing_scan import scan_source
from tests.doctor.support import context, only, project

BAD = '''
import multiprocessing as mp
from multiprocessing import Pool
from concurrent.futures import ProcessPoolExecutor
from torch.utils.data import DataLoader
from joblib import Parallel

lock = mp.Lock()
pool = Pool(4)
ex = ProcessPoolExecutor()
loader = DataLoader(data, batch_size=8, num_workers=2)
jobs = Parallel(n_jobs=-1)
ctx_queue = mp.get_context("spawn").Queue()
'''

GOOD = '''
import multiprocessing
from multiprocessing import Process, Pipe
from concurrent.futures import ThreadPoolExecutor
from torch.utils.data import DataLoader

parent, child = Pipe()
p = Process(target=print)
loader = DataLoader(data, num_workers=0)
ex = ThreadPoolExecutor(4)
model = RandomForestClassifier(n_jobs=1)
'''


def test_scan_finds_every_dev_shm_user_with_its_line():
    found = scan_source(textwrap.dedent(BAD), "train.py")
    by_line = {f.line: f for f in found}
    assert by_line[8].severity is Severity.ERROR and "multiprocessing.Lock" in by_line[8].message
    assert "multiprocessing.Pool" in by_line[9].message
    assert "ProcessPoolExecutor" in by_line[10].message
    assert "num_workers=2" in by_line[11].message and by_line[11].severity is Severity.ERROR
    assert "n_jobs=-1" in by_line[12].message and by_line[12].severity is Severity.WARNING
    assert "multiprocessing.Queue" in by_line[13].message
    assert all(f.file == "train.py" for f in found)


def test_scan_leaves_process_pipe_threads_and_zero_workers_alone():
    assert scan_source(textwrap.dedent(GOOD), "ok.py") == []


def _scanned(found):
    return {f.where() for f in found if f.severity is not Severity.OK}


def test_check_scans_the_predictor_that_ships_and_names_file_and_line(tmp_path):
    root = project(tmp_path / "p", predictor="scorer.model:Predictor")
    (root / "scorer").mkdir()
    (root / "scorer" / "__init__.py").write_text(textwrap.dedent(GOOD))
    (root / "scorer" / "model.py").write_text("import multiprocessing\n\nq = multiprocessing.Queue()\n")
    found = multiprocessing_scan.CHECK.run(context(root))
    assert _scanned(found) == {"scorer/model.py:3"} and found[0].severity is Severity.ERROR
    (root / "scorer" / "model.py").write_text(textwrap.dedent(GOOD))
    finding = only(multiprocessing_scan.CHECK, context(root))
    assert finding.severity is Severity.OK and "2 Python file(s) that ship" in finding.message


def test_files_the_package_leaves_out_are_not_scanned(tmp_path, monkeypatch):
    """Scripts beside the predictor, virtualenvs (by their pyvenv.cfg, whatever their name), hidden
    folders, site-packages and lambdaserve's own cache, even inside the predictor's package."""
    root = project(tmp_path / "p", predictor="scorer:Predictor")
    bad = textwrap.dedent(BAD)
    left_out = ["train.py", ".venv/lib/x.py", "scorer/env/lib/x.py", "scorer/.ipynb_checkpoints/x.py",
                "scorer/lib/site-packages/scipy/x.py", "scorer/cache/deps/k/scipy/_lib/tests/test_x.py"]
    for name in [*left_out, "scorer/__init__.py"]:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(bad)
    (root / "scorer" / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    monkeypatch.setenv("LAMBDASERVE_CACHE_DIR", str(root / "scorer" / "cache"))
    config = load_config(root)
    shipped = [f.name for f in user_code_files(config)]
    assert shipped == ["scorer/__init__.py"]  # the package's own selection
    assert {where.split(":")[0] for where in _scanned(multiprocessing_scan.CHECK.run(context(root)))} == {
        "scorer/__init__.py"}


def test_a_project_without_code_of_its_own_has_nothing_to_scan(tmp_path):
    root = project(tmp_path / "p")
    (root / "train.py").write_text(textwrap.dedent(BAD))  # trains the model; never ships
    finding = only(multiprocessing_scan.CHECK, context(root))
    assert finding.severity is Severity.OK and "no Python of yours ships" in finding.message


PREDICTOR = '''
import multiprocessing


class Predictor:
    def load(self, model_dir):
        if {USE_QUEUE}:
            self.queue = multiprocessing.Queue()

    def predict(self, inputs):
        return {{"y": [sum(row) for row in inputs["x"]]}}
'''


def _custom_project(root: Path, module: str, use_queue: bool) -> Path:
    root.mkdir(parents=True)
    (root / "model").mkdir()
    (root / "model" / "w.json").write_text("{}")
    (root / f"{module}.py").write_text(textwrap.dedent(PREDICTOR).format(USE_QUEUE=use_queue))
    (root / "lambdaserve.toml").write_text(textwrap.dedent(f'''
        name = "smoke"
        [model]
        path = "model"
        framework = "custom"
        predictor = "{module}:Predictor"
        [signature]
        inputs = [{{ name = "x", dtype = "float64", shape = [-1, 2] }}]
        outputs = [{{ name = "y", dtype = "float64", shape = [-1] }}]
    '''))
    return root


@pytest.mark.slow
def test_smoke_run_in_the_local_lambda_explains_errno_38(tmp_path):
    root = _custom_project(tmp_path / "bad", "queue_at_load", use_queue=True)
    probes = Probes(smoke=smoke_probe(load_config(root)))
    finding = only(smoke.CHECK, context(root, probes=probes))
    # for parity: Lambda has no /dev/shm, so a Queue at init fails with Errno 38
    assert finding.severity is Severity.ERROR and "/dev/shm" in finding.message
    assert "[Errno 38] Function not implemented" in finding.message


@pytest.mark.slow
def test_smoke_run_of_a_healthy_function_passes_and_times_the_cold_start(tmp_path):
    root = _custom_project(tmp_path / "good", "no_queue_at_load", use_queue=False)
    ctx = context(root, probes=Probes(smoke=smoke_probe(load_config(root))))
    ok = only(smoke.CHECK, ctx)
    assert ok.severity is Severity.OK
    assert "[ran the project folder in the dev venv, not the package: no zip is built" in ok.message
    finding = only(cold_start.CHECK, ctx)  # the same smoke run, not a second one
    assert finding.severity is Severity.OK and "within 10 s and 29 s" in finding.message
    run = ctx.smoke_run()
    assert run is not None and run.init_ms is not None and run.init_ms > 0


@pytest.mark.parametrize(("init_ms", "first_ms", "severity", "words"), [
    (12_000, 100, Severity.ERROR, "10 s init limit"),
    (8_000, 22_000, Severity.ERROR, "29 s"),
    (8_000, 100, Severity.WARNING, "close to"),
    (900, 50, Severity.OK, "within"),
])
def test_cold_start_limits(tmp_path, init_ms, first_ms, severity, words):
    measured = SmokeRun(ok=True, output="", init_ms=init_ms, duration_ms=first_ms)
    finding = only(cold_start.CHECK, context(project(tmp_path), probes=Probes(smoke=lambda: measured)))
    assert finding.severity is severity and words in finding.message


def test_a_caught_errno_38_is_a_warning(tmp_path):
    caught = SmokeRun(ok=True, output="UserWarning: [Errno 38] Function not implemented. joblib will operate "
                                      "in serial mode", init_ms=500, duration_ms=20)
    finding = only(smoke.CHECK, context(project(tmp_path), probes=Probes(smoke=lambda: caught)))
    assert finding.severity is Severity.WARNING and "serial" in finding.message
