"""The model matrix: for each model kind, what the real CLI does with it, side by side.

Each kind is made tiny in a temp folder (by the test suite's own model makers and
examples/make_examples.py), then run through the installed `lambdaserve` as a user would:

  init (its pins) -> invoke --data ROWS (the project folder in this venv: the "local" answer)
  -> serve (the project folder) + an HTTP POST of the same ROWS, records for a table, as curl
  would send them -> build (its verdict: the proof of the package) -> serve --built + the same
  POST (the "package" answer) -> deploy --target local --artifact ZIP (its smoke test)
  -> local answer == package answer (runtime.golden.compare: labels exactly, scores within
  its tolerance).

Image kinds are built on the local Debian bookworm base (python 3.11), pushed by skopeo to a
docker-registry this script starts on 127.0.0.1 (the test suite's base, cached under
$LAMBDASERVE_TEST_CACHE): Lambda's own base, public.ecr.aws, is not reachable offline.

It is a report, not a test: every cell says what happened, failures included. The table is
printed and written to docs/model-matrix.md.

    .venv/bin/python scripts/model_matrix.py               # every kind (several minutes)
    .venv/bin/python scripts/model_matrix.py --only custom-third-party --no-write
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the test suite's model makers are the one place models are made

from lambdaserve.runtime.golden import compare  # noqa: E402
from tests import models  # noqa: E402
from tests.cli.test_init_build_needs import KINDS  # noqa: E402
from tests.examples import make_example  # noqa: E402

LAMBDASERVE = str(Path(sys.executable).with_name("lambdaserve"))
DOC = ROOT / "docs" / "model-matrix.md"
IRIS_ROWS = models.iris()[2][:3]
STEP_TIMEOUT_S = 900


@dataclass
class Kind:
    """How to make one kind in a folder: (init's extra args, the request rows)."""

    title: str
    make: Callable[[Path], tuple[list[str], Any]]  # folder -> (init's arguments, the request rows)
    skip: str = ""  # why this kind is not run here
    image: bool = False  # package = "image": built on the local bookworm base (python 3.11)
    after_init: Callable[[Path], None] | None = None  # what the user edits in init's toml


@dataclass
class Row:
    title: str
    pins: str = ""
    local: str = ""
    source: str = ""  # serve (the project folder) + POST
    build: str = ""
    served: str = ""
    deploy: str = ""
    same: str = ""
    notes: list[str] = field(default_factory=list)

    def cells(self) -> list[str]:
        return [self.title, self.pins, self.local, self.source, self.build, self.served, self.deploy,
                self.same]


def _needs_kind(name: str, rows: Any) -> Maker:
    def make(folder: Path) -> tuple[list[str], Any]:
        kind = KINDS[name](folder)
        args = ["--model", kind.model] + (["--predictor", kind.predictor] if kind.predictor else [])
        return args, rows
    return make


Maker = Callable[[Path], tuple[list[str], Any]]  # folder -> (init's arguments, the request rows)


def _example(name: str, model: str, rows: Any, predictor: str = "") -> Maker:
    def make(folder: Path) -> tuple[list[str], Any]:
        make_example(name, folder)
        (folder / "lambdaserve.toml").rename(folder / EXAMPLE_TOML)  # init writes it, as for a user's model
        return ["--model", model] + (["--predictor", predictor] if predictor else []), rows
    return make


EXAMPLE_TOML = "example.toml"


def _declared_signature(project: Path) -> None:
    """A TorchScript model records no inputs: copy the example's [signature] into init's toml,
    as its user declares it."""
    import tomlkit

    toml = project / "lambdaserve.toml"
    doc = tomlkit.parse(toml.read_text(encoding="utf-8"))
    doc["signature"] = tomlkit.parse((project / EXAMPLE_TOML).read_text(encoding="utf-8"))["signature"]
    toml.write_text(tomlkit.dumps(doc), encoding="utf-8")


def _made(maker: Callable[[Path], models.Made], sample: bool = False) -> Maker:
    def make(folder: Path) -> tuple[list[str], Any]:
        made = maker(folder)
        args = ["--model", made.path.name]
        if sample and "sample" in made.extra:
            args += ["--sample", Path(made.extra["sample"]).name]
        return args, made.rows
    return make


def _lz4_forest(folder: Path) -> tuple[list[str], Any]:
    import joblib
    from sklearn.ensemble import RandomForestClassifier

    x, y, rows = models.iris()
    joblib.dump(RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0).fit(x, y),
                folder / "model.joblib", compress="lz4")
    return ["--model", "model.joblib"], rows[:3]


def _text_file(folder: Path) -> tuple[list[str], Any]:
    (folder / "model.joblib").write_text("these are my notes, not a model\n")
    return ["--model", "model.joblib"], IRIS_ROWS


KINDS_HERE: dict[str, Kind] = {
    "example-iris": Kind("sklearn iris forest, joblib (example)",
                         _example("iris", "model.joblib", IRIS_ROWS)),
    "example-iris-onnx": Kind("ONNX iris (example)", _example("iris-onnx", "model.onnx", IRIS_ROWS)),
    "example-iris-torchscript": Kind("TorchScript iris MLP (example), image on the local bookworm base",
                                     _example("iris-torchscript", "model.pt", IRIS_ROWS), image=True,
                                     after_init=_declared_signature),
    "example-iris-xgboost": Kind("XGBoost booster .ubj (example)",
                                 _example("iris-xgboost", "model.ubj", IRIS_ROWS)),
    "lightgbm-joblib": Kind("LightGBM LGBMClassifier, joblib", _needs_kind("lightgbm-joblib", IRIS_ROWS)),
    "xgbregressor-joblib": Kind("XGBRegressor, joblib",
                                _needs_kind("xgbregressor-joblib", models.diabetes()[2][:2])),
    "sklearn-table": Kind("sklearn Pipeline(ColumnTransformer) on a DataFrame with a string column, "
                          "init --sample", _made(models.sklearn_table, sample=True)),
    "catboost": Kind("CatBoost classifier .cbm (string column), image on the local bookworm base",
                     _made(models.catboost_table), image=True),
    "custom-third-party": Kind("custom predictor importing PyYAML",
                               _needs_kind("custom-third-party", [[1.0, 2.0], [3.0, 4.5]])),
    "lz4-joblib": Kind("sklearn forest, joblib compress='lz4'", _lz4_forest),
    "text-model-joblib": Kind("a text file named model.joblib", _text_file),
    # A torch image build takes 10-12 minutes here: its own script runs it end to end.
    "sentence-transformers": Kind("sentence-transformers custom predictor, image", lambda _f: ([], None),
                                  skip="run end to end by scripts/text_image_e2e.py instead (its torch image "
                                       "takes 10-12 min to build): init picks package = 'image'; build on "
                                       "the bookworm base takes torch 2.13.0+cpu and proves 1 golden "
                                       "request of 4 texts; serve --built answers 200 with embeddings at "
                                       "cosine >= 0.999 to SentenceTransformer.encode; deploy --target "
                                       "local deploys zips only"),
}


def _run(args: list[str], cwd: Path, timeout: float = STEP_TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LAMBDASERVE, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "NO_COLOR": "1", "COLUMNS": "400"})


def _first_error(text: str) -> str:
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("error:"):  # with pip's own ERROR line, when it follows
            detail = next((d for d in lines[i + 1:i + 6] if d.startswith("ERROR:")), "")
            return " ".join((line[len("error:"):].strip(), detail)).strip()
    return (text.strip().splitlines() or ["(no output)"])[-1]


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _last_json(text: str) -> Any:
    for line in reversed(text.strip().splitlines()):
        try:
            return json.loads(line)
        except ValueError:
            continue
    raise ValueError("no JSON line in the output")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _served_answer(project: Path, rows: Any, *serve_args: str) -> Any:
    """Start `serve` (with ``serve_args``, e.g. --built), POST the rows to the URL its banner gives
    (records for a table, as `curl -d '{"data": [...]}'` sends them), stop it; the JSON answer."""
    port = _free_port()
    proc = subprocess.Popen([LAMBDASERVE, "serve", *serve_args, "--port", str(port)], cwd=project,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "NO_COLOR": "1", "COLUMNS": "400"})
    try:
        assert proc.stdout is not None
        url = ""
        deadline = time.monotonic() + 300
        while not url and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            found = re.search(r"^Serving .* at (http://\S+)", line)
            url = found.group(1) if found else ""
        if not url:
            proc.kill()
            _out, err = proc.communicate(timeout=30)
            raise RuntimeError(_first_error(err))
        request = urllib.request.Request(url, data=json.dumps({"data": rows}).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=120) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"HTTP {exc.code}: {exc.read()[:200].decode('utf-8', 'replace')}") from None
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _on_local_base(project: Path, base: str) -> None:
    """Build the image on the local bookworm base (its python3 is 3.11) instead of Lambda's."""
    import tomlkit

    toml = project / "lambdaserve.toml"
    doc = tomlkit.parse(toml.read_text(encoding="utf-8"))
    doc["function"]["python"] = "3.11"  # type: ignore[index]
    doc["function"]["package"] = "image"  # type: ignore[index]
    doc.setdefault("build", tomlkit.table())["base_image"] = base
    toml.write_text(tomlkit.dumps(doc), encoding="utf-8")


def run_kind(key: str, kind: Kind, scratch: Path, base: str = "") -> Row:
    row = Row(kind.title)
    if kind.skip:
        row.pins = row.local = row.source = row.build = row.served = row.deploy = row.same = "not run"
        row.notes.append(kind.skip)
        return row
    project = scratch / key
    project.mkdir(parents=True)
    init_args, rows = kind.make(project)
    done = _run(["init", *init_args], project)
    if done.returncode != 0:
        row.pins = f"init exit {done.returncode}: {_short(_first_error(done.stderr))}"
        row.local = row.source = row.build = row.served = row.deploy = row.same = "—"
        print(f"[{key}] init: {row.pins}", file=sys.stderr)
        return row
    if kind.after_init is not None:  # what its user edits in init's toml, said in the notes
        kind.after_init(project)
        row.notes.append("after init: " + " ".join((kind.after_init.__doc__ or "").split()))
    if kind.image:
        if not base:
            row.build = row.served = "not run: no local base image (docker-registry, skopeo)"
        else:
            _on_local_base(project, base)
    wrote = next((line for line in done.stderr.splitlines() if line.startswith("wrote ")), "")
    found = re.search(r"package (\w+); requirements: (.*)\)$", wrote)
    package = found.group(1) if found else "?"
    row.pins = (found.group(2) if found else "?") + f" ({package})"
    print(f"[{key}] init pins: {row.pins}", file=sys.stderr)
    invoked = _run(["invoke", "--data", json.dumps(rows)], project)
    try:
        local = _last_json(invoked.stdout)
        row.local = f"exit {invoked.returncode}: " + _short(json.dumps(local), 70)
    except ValueError:
        local = None
        row.local = f"exit {invoked.returncode}: {_short(_first_error(invoked.stderr))}"
    print(f"[{key}] invoke: {row.local}", file=sys.stderr)
    try:
        from_source = _served_answer(project, rows)
        row.source = "200" + ("" if local is None or not compare(local, from_source)
                              else ", NOT invoke's answer: " + _short("; ".join(compare(local, from_source))))
    except (RuntimeError, OSError, ValueError) as exc:
        row.source = _short(str(exc))
    print(f"[{key}] serve + POST: {row.source}", file=sys.stderr)
    if row.build:  # an image kind with no base to build on
        row.deploy = row.same = "—"
        return row
    built = _run(["build"], project)
    proved = next((line.strip() for line in built.stdout.splitlines()
                   if line.strip().startswith("proved")), "")
    if built.returncode != 0:
        row.build = f"exit {built.returncode}: {_short(_first_error(built.stderr))}"
        row.served = row.deploy = row.same = "—"
        print(f"[{key}] build: {row.build}", file=sys.stderr)
        return row
    golden = re.search(r"answered (\d+) golden requests?", proved)
    row.build = "exit 0, " + (f"proved, {golden.group(1)} golden" if golden else _short(proved, 90))
    row.notes += [line[len("warning: "):] for line in built.stderr.splitlines()
                  if line.startswith("warning: ")]
    print(f"[{key}] build: {row.build}", file=sys.stderr)
    try:
        served = _served_answer(project, rows, "--built")
        row.served = "200"
    except (RuntimeError, OSError, ValueError) as exc:
        served = None
        row.served = _short(str(exc))
    artifact = [str(p) for p in (project / ".lambdaserve" / "build").glob("*.zip")]
    if package == "zip" and artifact:
        deployed = _run(["deploy", "--target", "local", "--yes", "--no-serve", "--skip-doctor",
                         "--artifact", artifact[0]], project)
        smoke = next((line.strip() for line in deployed.stdout.splitlines() if "smoke test" in line), "")
        answered = re.search(r"\d+ golden requests? answered as recorded", smoke)
        said = answered.group(0) if answered else _short(smoke, 120)
        row.deploy = f"exit {deployed.returncode}" + (f", smoke test: {said}" if smoke else
                                                      f": {_short(_first_error(deployed.stderr))}")
    else:
        row.deploy = "not run: --target local deploys zips only"
    if local is None or served is None:
        row.same = "—"
    else:
        problems = compare(local, served)
        row.same = "yes" if not problems else "NO: " + _short("; ".join(problems))
    print(f"[{key}] served: {row.served}; deploy: {row.deploy}; same: {row.same}", file=sys.stderr)
    return row


@contextlib.contextmanager
def _local_base(root: Path, wanted: bool) -> Iterator[str]:
    """A docker-registry on 127.0.0.1 holding the test suite's Debian bookworm base (python 3.11);
    its reference, or "" when not wanted or the tools are missing. Stopped on the way out."""
    import shutil

    binary = shutil.which("docker-registry")
    if not wanted or binary is None or shutil.which("skopeo") is None:
        yield ""
        return
    from tests.package.conftest import BASE_LAYOUT, BASE_TAG, LocalRegistry, push_base

    root.mkdir(parents=True)
    host = f"127.0.0.1:{_free_port()}"
    (root / "config.yml").write_text(
        "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
        f"storage:\n  filesystem:\n    rootdirectory: {root / 'data'}\nhttp:\n  addr: {host}\n")
    with open(root / "registry.log", "wb") as log:
        proc = subprocess.Popen([binary, "serve", str(root / "config.yml")], stdout=log,
                                stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    with urllib.request.urlopen(f"http://{host}/v2/", timeout=2):
                        break
                except OSError:
                    time.sleep(0.2)
            try:
                base = push_base(LocalRegistry(host, root), BASE_LAYOUT, BASE_TAG)
            except BaseException as exc:  # pytest.fail's Outcome when skopeo or mmdebstrap fails
                if isinstance(exc, KeyboardInterrupt):
                    raise
                print(f"no local base image: {exc}", file=sys.stderr)
                base = ""
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


HEADER = ["model kind", "init's pins (package)", "invoke --data ROWS", "serve + POST (records for a table)",
          "build (proof)", "serve --built + POST", "deploy --target local", "local answer == package answer"]


def table(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(c or "—" for c in row.cells()) + " |" for row in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=sorted(KINDS_HERE), help="Run these kinds only.")
    parser.add_argument("--no-write", action="store_true", help=f"Print only; do not write {DOC}.")
    args = parser.parse_args(argv)
    chosen = args.only or list(KINDS_HERE)
    started = time.monotonic()
    images = any(KINDS_HERE[key].image and not KINDS_HERE[key].skip for key in chosen)
    with tempfile.TemporaryDirectory(prefix="lambdaserve-matrix-") as scratch, \
            _local_base(Path(scratch) / "registry", images) as base:
        rows = [run_kind(key, KINDS_HERE[key], Path(scratch), base) for key in chosen]
    text, notes = table(rows), notes_of(rows)
    print(text)
    if notes:
        print("\nNotes (build's warnings, and why a kind was not run):\n" + "\n".join(notes))
    if not args.no_write:
        write_doc(rows, time.monotonic() - started)
        print(f"\nwrote {DOC}", file=sys.stderr)
    return 0


def notes_of(rows: list[Row]) -> list[str]:
    return [f"- **{row.title}**: {_short(note, 400)}" for row in rows for note in dict.fromkeys(row.notes)]


def write_doc(rows: list[Row], seconds: float, how: str = "") -> None:
    notes = notes_of(rows)
    DOC.write_text(
        "# The model matrix\n\nWhat the real CLI does with each model kind, made tiny in a temp folder. "
        "Made by `.venv/bin/python scripts/model_matrix.py` "
        f"({time.strftime('%Y-%m-%d', time.gmtime())}, {seconds:.0f} s on this "
        f"machine at load {os.getloadavg()[0]:.0f} on {os.cpu_count()} cores{how}; caches of dependency "
        "layers make later runs faster). \"local answer\" is `invoke --data ROWS` on the project "
        "folder in the dev venv; \"serve + POST\" is `serve` on the project folder answering an HTTP POST "
        "of the same rows (records for a table), as curl sends them; "
        "\"package answer\" is `serve --built` answering the same POST; they are "
        "compared as deploy's smoke test compares golden answers (labels exactly, scores within "
        "atol 1e-5 + rtol 1e-4). Image kinds are built on the local Debian bookworm base (python 3.11) "
        "pushed to a registry on 127.0.0.1: Lambda's own base (public.ecr.aws) is unreachable offline; "
        "`deploy --target local` deploys zips only.\n\n" + table(rows) + "\n\n"
        + ("## Notes\n\n" + "\n".join(notes) + "\n" if notes else ""), encoding="utf-8")

if __name__ == "__main__":
    sys.exit(main())
