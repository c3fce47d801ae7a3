"""Finding a Python of the target version: PATH, pyenv, uv-managed; broken shims are skipped."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from lambdaserve.errors import BuildError
from lambdaserve.package.deps.interpreters import candidates, find_interpreter
from tests.helpers import require


def _real312() -> Path:
    try:
        return find_interpreter("3.12").path
    except BuildError:
        require(False, "needs a Python 3.12 interpreter")
        raise


def _script(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def _link(path: Path, target: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)
    return path


def _env(tmp_path: Path, path_dirs: list[Path]) -> dict[str, str]:
    return {"PATH": os.pathsep.join(map(str, path_dirs)), "HOME": str(tmp_path / "home"),
            "PYENV_ROOT": str(tmp_path / "pyenv")}


def test_a_pyenv_shim_that_is_not_activated_is_skipped_for_pyenvs_own_build(tmp_path):
    real = _real312()
    # pyenv's shim exits 127 ("command not found") when 3.12 is not the selected version.
    shim = _script(tmp_path / "other" / "shims" / "python3.12",
                   'echo "pyenv: python3.12: command not found" >&2; exit 127')
    _link(tmp_path / "pyenv" / "versions" / "3.12.1" / "bin" / "python3.12", real)
    _link(tmp_path / "pyenv" / "versions" / "3.12.10" / "bin" / "python3.12", real)
    env = _env(tmp_path, [shim.parent])
    tried = candidates("3.12", env)
    assert tried[0] == shim  # a shims folder that is not pyenv's own keeps PATH's order
    assert tried[1].parts[-3] == "3.12.10"  # the newest patch release first, not string order
    found = find_interpreter("3.12", environ=env)
    assert found.path == tried[1] and found.minor == "3.12"


def test_pyenvs_own_shims_are_tried_after_its_versions(tmp_path):
    real = _real312()
    # A shim is a shell script that runs one of the versions below: probing it first costs a
    # shell and pyenv's lookup on every build, and fails when another version is selected.
    shim = _script(tmp_path / "pyenv" / "shims" / "python3.12", 'echo "3.12.99 x86_64"')
    _link(tmp_path / "pyenv" / "versions" / "3.12.1" / "bin" / "python3.12", real)
    env = _env(tmp_path, [tmp_path / "bin", shim.parent])
    tried = candidates("3.12", env)
    assert tried == [tmp_path / "pyenv" / "versions" / "3.12.1" / "bin" / "python3.12", shim]
    assert find_interpreter("3.12", environ=env).path == tried[0]


def test_uv_managed_pythons_are_found(tmp_path):
    real = _real312()
    uv = tmp_path / "home" / ".local" / "share" / "uv" / "python"
    link = _link(uv / "cpython-3.12.1-linux-x86_64-gnu" / "bin" / "python3.12", real)
    assert find_interpreter("3.12", environ=_env(tmp_path, [])).path == link


def test_a_candidate_of_another_version_is_not_taken(tmp_path):
    real = _real312()
    liar = _script(tmp_path / "bin" / "python3.12", "echo 3.11.7 x86_64")
    _link(tmp_path / "pyenv" / "versions" / "3.12.1" / "bin" / "python3.12", real)
    found = find_interpreter("3.12", environ=_env(tmp_path, [liar.parent]))
    assert found.path != liar and found.version.startswith("3.12.")


def test_no_interpreter_is_refused_with_the_install_commands(tmp_path):
    with pytest.raises(BuildError, match="no working Python 3.9 interpreter") as info:
        find_interpreter("3.9", environ=_env(tmp_path, [tmp_path / "empty"]))
    assert "pyenv install 3.9" in info.value.hint and "uv python install 3.9" in info.value.hint


def test_a_broken_candidate_is_listed_in_the_refusal(tmp_path):
    broken = _script(tmp_path / "bin" / "python3.10", "exit 1")

    def runner(args, **kwargs):
        return subprocess.CompletedProcess(list(args), 1, "", "boom")

    with pytest.raises(BuildError) as info:
        find_interpreter("3.10", environ=_env(tmp_path, [broken.parent]), runner=runner)
    assert str(broken) in info.value.message


class _OtherBuildFinishesFirst:
    """A runner whose pip "installs" awslambdaric into --target, while another build (simulated)
    puts its own complete folder in place first: the race two builds of one user can run."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __call__(self, args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        if "--version" in args:
            return subprocess.CompletedProcess(args, 0, "pip 26.0 from somewhere\n", "")
        if "install" in args:
            target = Path(args[args.index("--target") + 1])
            (target / "awslambdaric").mkdir(parents=True)
            (target / "awslambdaric" / "__init__.py").write_text("# ours\n")
            (self.folder / "awslambdaric").mkdir(parents=True)
            (self.folder / "awslambdaric" / "__init__.py").write_text("# theirs\n")
            (self.folder / ".complete").write_text("done\n")
        return subprocess.CompletedProcess(args, 0, "", "")


def test_awslambdaric_made_by_another_build_meanwhile_is_kept_and_ours_discarded(tmp_path):
    from lambdaserve.package.deps.interpreters import AWSLAMBDARIC, runtime_support_dir

    folder = tmp_path / "runtime" / f"python3.12-x86_64-{AWSLAMBDARIC.replace('==', '-')}"
    runner = _OtherBuildFinishesFirst(folder)
    got = runtime_support_dir("3.12", "x86_64", tmp_path, pip=["pip"], runner=runner)
    assert got == folder
    # the other build's folder, which its workers may be running from, is not replaced
    assert (got / "awslambdaric" / "__init__.py").read_text() == "# theirs\n"
    assert [p.name for p in got.parent.iterdir()] == [got.name]  # our staging folder is gone


class _Installs:
    """A runner that "installs" awslambdaric into --target (uv's or pip's), recording each call,
    optionally holding the install until ``release`` is set."""

    def __init__(self, hold: bool = False) -> None:
        import threading

        self.calls: list[list[str]] = []
        self.started, self.release = threading.Event(), threading.Event()
        if not hold:
            self.release.set()

    def __call__(self, args: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        self.calls.append(list(args))
        if "--version" in args:
            return subprocess.CompletedProcess(args, 0, "pip 26.0 from somewhere\n", "")
        if "install" in args:
            self.started.set()
            assert self.release.wait(30)
            target = Path(args[args.index("--target") + 1])
            (target / "awslambdaric").mkdir(parents=True)
            (target / "awslambdaric" / "__init__.py").write_text("# made\n")
        return subprocess.CompletedProcess(args, 0, "", "")


def test_awslambdaric_is_installed_by_uv_where_the_layers_use_it(tmp_path, monkeypatch):
    from lambdaserve.package.deps.interpreters import AWSLAMBDARIC, runtime_support_dir
    from lambdaserve.package.deps.uv import find_uv

    monkeypatch.delenv("LAMBDASERVE_INSTALLER", raising=False)
    uv = find_uv()
    require(uv is not None, "needs uv")
    runner = _Installs()
    got = runtime_support_dir("3.12", "x86_64", tmp_path, runner=runner)
    assert (got / "awslambdaric" / "__init__.py").is_file() and (got / ".complete").is_file()
    [install] = [c for c in runner.calls if "install" in c]
    assert install[:3] == [uv, "pip", "install"] and AWSLAMBDARIC in install
    assert not any("download" in c for c in runner.calls)  # pip's two steps are not run
    monkeypatch.setenv("LAMBDASERVE_INSTALLER", "pip")  # the user's choice holds here too
    runner = _Installs()
    runtime_support_dir("3.12", "x86_64", tmp_path / "other", runner=runner)
    assert [c[1:3] for c in runner.calls if "install" in c] == [["-m", "pip"]]


def test_a_second_caller_waits_for_the_runtime_support_being_made_in_this_process(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from lambdaserve.package.deps.interpreters import runtime_support_dir

    first, second = _Installs(hold=True), _Installs()
    with ThreadPoolExecutor(max_workers=2) as pool:
        making = pool.submit(runtime_support_dir, "3.12", "x86_64", tmp_path, pip=["pip"], runner=first)
        assert first.started.wait(30)  # the first is installing into its staging folder
        waiting = pool.submit(runtime_support_dir, "3.12", "x86_64", tmp_path, pip=["pip"], runner=second)
        first.release.set()
        assert waiting.result(30) == making.result(30)
    # the second neither installed nor removed the first's staging folder (it has the same pid)
    assert second.calls == []
    assert [p.name for p in making.result().parent.iterdir()] == [making.result().name]


def test_start_runtime_support_makes_awslambdaric_on_a_thread_while_the_caller_goes_on(tmp_path, py312):
    # build_zip(prepare_runtime=True) starts it before installing the layer; the proof then finds it
    # made (or waits for it) instead of installing it after the zip is written.
    from lambdaserve.package.deps.interpreters import runtime_support_dir, start_runtime_support

    made = start_runtime_support("3.12", "x86_64", tmp_path, interpreter=py312)
    folder = runtime_support_dir("3.12", "x86_64", tmp_path, interpreter=py312)  # waits, or finds it
    assert made.result(300) == folder and (folder / ".complete").is_file()
    assert list(folder.glob("awslambdaric/__pycache__/*.cpython-312.pyc"))  # compiled for the target


class _Counting:
    """run_command, counting its runs."""

    def __init__(self) -> None:
        self.runs = 0

    def __call__(self, args, **kwargs):  # type: ignore[no-untyped-def]
        from lambdaserve.package.process import run_command

        self.runs += 1
        return run_command(args, **kwargs)


def test_a_binary_is_probed_once_per_process_until_it_changes(tmp_path):
    from lambdaserve.package.deps.interpreters import probe

    real = _real312().resolve()
    copy = tmp_path / "bin" / "python3.12"
    copy.parent.mkdir()
    copy.write_bytes(real.read_bytes())  # a file of its own, so it can change
    copy.chmod(0o755)
    runner = _Counting()
    first = probe(copy, runner)
    assert first is not None and first.minor == "3.12"
    assert probe(copy, runner) == first and runner.runs == 1  # a build asks three times: one run
    copy.write_bytes(real.read_bytes())  # replaced (a reinstall): asked again
    os.utime(copy, ns=(1, 1))
    assert probe(copy, runner) == first and runner.runs == 2


def test_a_script_is_probed_every_time(tmp_path):
    from lambdaserve.package.deps.interpreters import probe

    # A pyenv shim picks its Python by the folder and the environment: its answer is not kept.
    shim = _script(tmp_path / "shims" / "python3.12", f'exec "{_real312()}" "$@"')
    runner = _Counting()
    assert probe(shim, runner) is not None and probe(shim, runner) is not None
    assert runner.runs == 2


def test_uv_is_asked_its_version_once_per_process(tmp_path):
    from lambdaserve.package.deps.uv import find_uv, uv_version

    uv = find_uv()
    if uv is None:
        require(False, "needs uv")
        return
    runner = _Counting()
    first = uv_version(uv, runner)
    assert first.startswith("uv ") and uv_version(uv, runner) == first  # a build keys two layers with it
    assert runner.runs == 1
