"""What build's proof costs: a warm rebuild with and without running the zip in the local Lambda.

    .venv/bin/python benchmarks/build_proof.py [--runs 3]

The project of build_vs_sam.py (the scikit-learn iris forest; scikit-learn, numpy and joblib
pinned; python3.12 x86_64; the default verified trims). One untimed build warms every cache;
then, interleaved, --runs times each:
  baseline  build_zip alone (the dependency layer reused; the trims still trace and verify);
  proved    build_zip(record=False) then build_proof.prove_and_record: the zip extracted as
            /var/task, a cold start in the local Lambda, GET /health, the golden requests (the
            signature's zero row, plus ?probabilities=true), then this venv's answers in a
            subprocess and build.json.
Printed: median wall seconds and CPU seconds (this process and its children), and the ratios
proved / baseline. Absolute times do not transfer between machines; the ratios do, roughly.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from build_vs_sam import lambdaserve_project, make_model  # noqa: E402

from lambdaserve.cli.build_proof import prove_and_record  # noqa: E402
from lambdaserve.config import load_config  # noqa: E402
from lambdaserve.package.zip.build import build_zip  # noqa: E402


def _cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _baseline(project: Path) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), _cpu()
    build_zip(load_config(project))
    return time.perf_counter() - wall, _cpu() - cpu


def _proved(project: Path) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), _cpu()
    config = load_config(project)
    proof = prove_and_record(config, build_zip(config, record=False), reuse=False)  # run, not reused
    assert proof.ran and proof.golden.requests, proof.notes
    return time.perf_counter() - wall, _cpu() - cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-proof-") as tmp:
        root = Path(tmp)
        project = lambdaserve_project(root / "project", make_model(root / "model"))
        _proved(project)  # untimed: uv's cache, the layer, awslambdaric for 3.12
        base: list[tuple[float, float]] = []
        proved: list[tuple[float, float]] = []
        for _ in range(args.runs):
            base.append(_baseline(project))
            proved.append(_proved(project))
    bw, bc = statistics.median(w for w, _ in base), statistics.median(c for _, c in base)
    pw, pc = statistics.median(w for w, _ in proved), statistics.median(c for _, c in proved)
    print(f"runs {args.runs}; medians")
    print(f"  baseline (build_zip alone)     wall {bw:6.1f} s   cpu {bc:6.1f} s")
    print(f"  proved (build + proof)         wall {pw:6.1f} s   cpu {pc:6.1f} s")
    print(f"  ratio proved / baseline        wall {pw / bw:6.2f}     cpu {pc / bc:6.2f}")


if __name__ == "__main__":
    main()
