"""Every check, listed explicitly, in the order they are reported."""

from __future__ import annotations

from lambdaserve.doctor.checks import (
    access_logs,
    cold_start,
    credentials,
    ecr_auth,
    framework_skew,
    iam,
    lock,
    multiprocessing_scan,
    package_size,
    pickle_format,
    python_skew,
    runtime_deprecation,
    shared_libraries,
    smoke,
    snapstart_uniqueness,
    stack_state,
    sudo,
    wheel_tags,
)
from lambdaserve.doctor.finding import Check

CHECKS: tuple[Check, ...] = (
    sudo.CHECK,
    credentials.CHECK,
    ecr_auth.CHECK,
    iam.CHECK,
    stack_state.CHECK,
    access_logs.CHECK,
    multiprocessing_scan.CHECK,
    snapstart_uniqueness.CHECK,
    smoke.CHECK,
    cold_start.CHECK,
    package_size.CHECK,
    wheel_tags.CHECK,
    shared_libraries.CHECK,
    pickle_format.CHECK,
    python_skew.CHECK,
    runtime_deprecation.CHECK,
    framework_skew.CHECK,
    lock.CHECK,
)
