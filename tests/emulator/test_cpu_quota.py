"""The CPU share as a CFS quota: a full vCPU for the init, the share for invocations."""

from __future__ import annotations

import pytest

from lambdaserve.emulator.sandbox.cpu import PERIOD_US, host_cpus, make_cpu_cap
from tests.emulator.lambda_helpers import call, running
from tests.helpers import require
from tests.runtime.support import load_event


def _enforceable() -> bool:
    cap = make_cpu_cap(0.5)
    try:
        return cap.limit.enforced
    finally:
        cap.close()


def test_a_host_without_a_writable_cpu_controller_says_so(tmp_path) -> None:
    cap = make_cpu_cap(0.5, root=tmp_path)  # an empty folder: no cgroup filesystem at all
    assert cap.limit.kind == "none" and not cap.limit.enforced
    assert "cpu.max" in cap.limit.reason
    assert cap.adopt(1) is True  # nothing to join: the worker runs unlimited


def test_a_share_over_the_host_cores_is_capped_at_the_host() -> None:
    cap = make_cpu_cap(host_cpus() + 1.5)
    try:
        assert cap.limit.capped
        if cap.limit.enforced:
            assert cap.limit.applied_vcpus == host_cpus()
    finally:
        cap.close()


def test_the_worker_inits_on_a_full_vcpu_then_runs_on_its_share() -> None:
    require(_enforceable(), "no writable cgroup cpu controller on this host")
    with running("cpu_quota.handler", cpu_vcpus=0.25) as function:
        body, result = call(function, load_event("apigw-rest-proxy.json"))
        assert function.cpu_limit is not None and function.cpu_limit.enforced
        assert function.cpu_limit.kind in ("cgroup1", "cgroup2")
    assert result.function_error is None
    # for parity: an on-demand init gets a whole vCPU; invocations get memory/1769 of one
    assert body["init"] == [PERIOD_US, PERIOD_US]
    assert body["invoke"] == [PERIOD_US // 4, PERIOD_US]


def test_without_a_share_the_worker_has_no_quota() -> None:
    with running("cpu_quota.handler") as function:
        body, _ = call(function, {})
        assert function.cpu_limit is None
    assert body["invoke"] is None


@pytest.mark.parametrize("vcpus", [0.05, 0.5])
def test_the_cgroup_is_removed_on_close(vcpus: float) -> None:
    cap = make_cpu_cap(vcpus)
    path = cap.cgroup
    cap.close()
    assert path is None or not path.exists()
