"""Thread pools sized from the CPUs the function really has (affinity, cgroup quota, Lambda memory)."""

from __future__ import annotations

import ast
import pathlib

import lambdaserve.runtime as runtime_pkg
from lambdaserve.runtime.threads import THREAD_VARS, available_cpus, configure_threads


def _files(**content):
    paths = {
        "v2": "/sys/fs/cgroup/cpu.max",
        "quota": "/sys/fs/cgroup/cpu/cpu.cfs_quota_us",
        "period": "/sys/fs/cgroup/cpu/cpu.cfs_period_us",
    }
    table = {paths[k]: v for k, v in content.items()}
    return table.get


def test_affinity_alone():
    assert available_cpus({}, read=_files(), affinity=lambda: 8) == 8


def test_cgroup_v2_quota_rounds_up():
    assert available_cpus({}, read=_files(v2="150000 100000"), affinity=lambda: 8) == 2
    assert available_cpus({}, read=_files(v2="max 100000"), affinity=lambda: 8) == 8
    assert available_cpus({}, read=_files(v2="20000 100000"), affinity=lambda: 8) == 1


def test_cgroup_v1_quota():
    assert available_cpus({}, read=_files(quota="300000", period="100000"), affinity=lambda: 8) == 3
    assert available_cpus({}, read=_files(quota="-1", period="100000"), affinity=lambda: 8) == 8


def test_lambda_memory_share():
    # for parity: Lambda shows 2 CPUs to small functions but gives one vCPU per 1,769 MB.
    env = {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512"}
    assert available_cpus(env, read=_files(), affinity=lambda: 2) == 1
    env = {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "10240"}
    assert available_cpus(env, read=_files(), affinity=lambda: 6) == 6


def test_configure_sets_only_unset_variables():
    env = {"OMP_NUM_THREADS": "7"}
    assert configure_threads(env, cpus=3) == 3
    assert env["OMP_NUM_THREADS"] == "7"
    assert all(env[name] == "3" for name in THREAD_VARS if name != "OMP_NUM_THREADS")
    assert env["JOBLIB_MULTIPROCESSING"] == "0"


def test_runtime_never_imports_multiprocessing():
    # Lambda has no /dev/shm: multiprocessing's locks, queues and pools fail there.
    root = pathlib.Path(runtime_pkg.__file__).parent
    for name in (
        "app",
        "events",
        "formats",
        "validation",
        "encode",
        "openapi",
        "telemetry",
        "threads",
        "handler",
    ):
        tree = ast.parse((root / f"{name}.py").read_text(encoding="utf-8"))
        imported = {
            alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
        }
        imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not {m for m in imported if m.split(".")[0] == "multiprocessing"}, name
        assert "concurrent.futures" not in imported, name
