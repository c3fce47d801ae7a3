"""Configs a user gets wrong in ways AWS or the installer would only refuse later: refused at load.

Each is a ConfigError (exit 3) naming the file, the field and what is wrong, never a traceback.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from lambdaserve.cli.main import EXIT_CONFIG, EXIT_USAGE, cli
from lambdaserve.config import load_config
from lambdaserve.errors import ConfigError

BASE = 'name = "iris"\n[model]\npath = "model.onnx"\n'


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "model.onnx").write_bytes(b"detection goes by suffix")
    return folder


def _write(project: Path, text: str | bytes) -> Path:
    path = project / "lambdaserve.toml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def _refused(project: Path, text: str | bytes, *words: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_config(_write(project, text))
    said = info.value.message + " " + info.value.hint
    for word in words:
        assert word in said, said
    return info.value


# item 5: the file itself
@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b'name = "caf\xe9"\n[model]\npath = "model.onnx"\n', ("not UTF-8", "line 1")),
        (b"\x00\x01\x02\xff\xfe" * 40, ("not UTF-8",)),
        (b"\xef\xbb\xbf" + BASE.encode(), ("byte-order mark", "BOM")),
    ],
    ids=["latin-1", "binary", "bom"],
)
def test_a_file_that_is_not_utf8_toml_is_named(project: Path, raw: bytes, words: tuple[str, ...]) -> None:
    error = _refused(project, raw, *words)
    assert "lambdaserve.toml" in error.message


def test_a_folder_named_lambdaserve_toml_is_a_config_error(project: Path) -> None:
    (project / "lambdaserve.toml").mkdir()
    with pytest.raises(ConfigError, match="is a folder"):
        load_config(project)


@pytest.mark.parametrize("command", [["template"], ["doctor"], ["invoke", "--data", "[[1]]"], ["build"],
                                     ["serve"], ["deploy", "--dry-run"]])
@pytest.mark.parametrize("raw", [b"\xff\xfe\x00binary", b"\xef\xbb\xbf" + BASE.encode(), None],
                         ids=["binary", "bom", "folder"])
def test_every_command_exits_3_without_a_traceback(project: Path, command: list[str], raw: bytes | None,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    if raw is None:
        (project / "lambdaserve.toml").mkdir()
    else:
        _write(project, raw)
    monkeypatch.chdir(project)  # init writes into the current folder
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == EXIT_CONFIG, (result.output, result.exception)
    assert "Traceback" not in result.output and "error:" in result.output


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_init_over_a_folder_named_lambdaserve_toml_exits_3(project: Path, force: list[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "lambdaserve.toml").mkdir()
    monkeypatch.chdir(project)
    result = CliRunner().invoke(cli, ["init", "--model", "model.onnx", *force])
    assert result.exit_code == EXIT_CONFIG, (result.output, result.exception)
    assert "is a folder" in result.output and "Traceback" not in result.output


def test_init_with_a_model_outside_the_folder_exits_2_before_writing(project: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    (project.parent / "elsewhere.onnx").write_bytes(b"x")
    monkeypatch.chdir(project)
    result = CliRunner().invoke(cli, ["init", "--model", "../elsewhere.onnx"])
    # a wrong --model is a usage mistake: lambdaserve.toml is not even written yet
    assert result.exit_code == EXIT_USAGE and "outside the project folder" in result.output, result.output
    assert not (project / "lambdaserve.toml").exists()


# item 4: the model must be inside the project
def test_a_model_path_leaving_the_project_is_refused(project: Path) -> None:
    (project.parent / "outside.onnx").write_bytes(b"x")
    _refused(project, 'name = "x"\n[model]\npath = "../outside.onnx"\n', "model.path", "outside the project")
    _refused(project, 'name = "x"\n[model]\npath = "../../../../../../etc/passwd"\nframework = "onnx"\n',
             "outside the project")
    absolute = project.parent / "outside.onnx"
    _refused(project, f'name = "x"\n[model]\npath = "{absolute}"\n', "outside the project")


def test_a_symlink_out_of_the_project_is_refused(project: Path) -> None:
    (project.parent / "secret.onnx").write_bytes(b"x")
    os.symlink(project.parent / "secret.onnx", project / "link.onnx")
    _refused(project, 'name = "x"\n[model]\npath = "link.onnx"\n', "symlink", "outside the project")


def test_a_symlink_inside_a_model_folder_pointing_out_is_refused(project: Path) -> None:
    folder = project / "model"
    folder.mkdir()
    (folder / "model.onnx").write_bytes(b"x")
    os.symlink("/etc/passwd", folder / "notes.txt")
    _refused(project, 'name = "x"\n[model]\npath = "model"\nframework = "onnx"\n', "notes.txt", "outside")


def test_a_symlink_that_stays_inside_is_fine(project: Path) -> None:
    os.symlink(project / "model.onnx", project / "current.onnx")
    config = load_config(_write(project, 'name = "x"\n[model]\npath = "current.onnx"\n'))
    assert config.model.framework == "onnx"


# item 6: what AWS or the installer refuses later
def test_environment_over_lambdas_4kb_total_is_refused(project: Path) -> None:
    # for parity: Lambda refuses a function whose variables total more than 4 KB
    many = "".join(f'V{i} = "{"x" * 100}"\n' for i in range(40))
    _refused(project, BASE + "[function.environment]\n" + many, "function.environment", "4 KB")
    one = BASE + f'[function.environment]\nBIG = "{"x" * 4100}"\n'
    _refused(project, one, "4 KB")
    load_config(_write(project, BASE + '[function.environment]\nSMALL = "' + "x" * 2000 + '"\n'))


@pytest.mark.parametrize(
    ("table", "words"),
    [
        ('{ name = 5, dtype = "float32", shape = [-1, 4] }', ("name",)),
        ('{ name = "x", dtype = "float32", shape = [true, 4] }', ("shape", "true")),
        ('{ name = "x", dtype = "float32", shape = [-1, -7] }', ("shape",)),
        ('{ name = "x", dtype = "float32", shape = "4" }', ("shape",)),
        ('{ name = "", dtype = "float32", shape = [-1, 4] }', ("name",)),
        ('{ name = "x", dtype = 5 }', ("dtype",)),
    ],
)
def test_signature_fields_of_the_wrong_type_are_refused(project: Path, table: str,
                                                        words: tuple[str, ...]) -> None:
    _refused(project, BASE + f"[signature]\ninputs = [{table}]\n", "signature.inputs", *words)


def test_an_unknown_region_is_refused_and_a_real_one_taken(project: Path) -> None:
    _refused(project, BASE + '[deploy]\nregion = "mars-north-1"\n', "deploy.region", "mars-north-1")
    _refused(project, BASE + '[deploy]\nregion = "US-EAST-1"\n', "deploy.region")
    for region in ("eu-west-1", "us-gov-west-1", "cn-north-1", "ap-southeast-7"):
        assert load_config(_write(project, BASE + f'[deploy]\nregion = "{region}"\n')).deploy.region == region


@pytest.mark.parametrize("req", ["-e .", "--index-url=https://evil.example/simple", "-r other.txt", " -e x"])
def test_a_requirement_that_is_an_option_is_refused(project: Path, req: str) -> None:
    toml = BASE + f"[function]\nrequirements = [{req!r}]\n".replace("'", '"')
    _refused(project, toml, "function.requirements")
