"""The CLI renders LambdaServeError as message + hint with an exit code, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from lambdaserve.cli.main import EXIT_CONFIG, EXIT_USAGE, cli


def test_help_lists_every_verb() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for verb in ("init", "invoke", "serve", "generate-event", "build", "export", "template", "policy",
                 "deploy", "status", "logs", "destroy"):
        assert verb in result.output


def test_bad_config_is_one_clear_error_and_exit_code_3(tmp_path: Path) -> None:
    (tmp_path / "m.onnx").write_bytes(b"x")
    text = 'name = "x"\n[model]\npath = "m.onnx"\n[function]\nmemory = 5\n'
    (tmp_path / "lambdaserve.toml").write_text(text)
    result = CliRunner().invoke(cli, ["invoke", "--config", str(tmp_path), "--data", "[[1]]"])
    assert result.exit_code == EXIT_CONFIG
    assert "function.memory = 5 is out of range; allowed: 128–10240 MB" in result.output
    assert "hint:" in result.output
    assert "Traceback" not in result.output


def test_invoke_needs_exactly_one_input(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["invoke", "--config", str(tmp_path)])
    assert result.exit_code == EXIT_USAGE
    assert "pass exactly one of --event and --data" in result.output


def test_init_refuses_a_missing_model(tmp_path: Path) -> None:
    runner = CliRunner()
    with runner.isolated_filesystem(temp_dir=tmp_path):
        result = runner.invoke(cli, ["init", "--model", "nope.joblib"])
    assert result.exit_code == EXIT_USAGE
    assert "nope.joblib: no such file or folder" in result.output


def test_init_names_the_model_a_typo_missed(tmp_path: Path) -> None:
    runner = CliRunner()
    with runner.isolated_filesystem(temp_dir=tmp_path) as folder:
        Path(folder, "model.joblib").write_bytes(b"x")
        result = runner.invoke(cli, ["init", "--model", "modle.joblib"])
        Path(folder, "lambdaserve.toml").write_text("")
        existing = runner.invoke(cli, ["init", "--model", "model.joblib"])
    assert result.exit_code == EXIT_USAGE  # a wrong argument, not a wrong lambdaserve.toml
    assert f"Did you mean {Path(folder).resolve() / 'model.joblib'}?" in result.output
    assert existing.exit_code == EXIT_USAGE
    assert "already exists" in existing.output and "--force" in existing.output


@pytest.mark.parametrize(
    ("api", "extra", "why"),
    [
        ("", [], "api.auth is 'none'"),
        ('auth = "api_key"\n', ["--api", "http"], "API keys belong to REST APIs, not an HTTP API"),
        ('auth = "api_key"\n', ["--front", "url"], "API keys belong to REST APIs, not --front url"),
    ],
)
def test_serve_refuses_an_api_key_nothing_would_check(tmp_path: Path, api: str, extra: list[str],
                                                       why: str) -> None:
    # It served every request while the user believed the local API wanted the key.
    (tmp_path / "m.onnx").write_bytes(b"x")
    (tmp_path / "lambdaserve.toml").write_text(f'name = "x"\n[model]\npath = "m.onnx"\n[api]\n{api}')
    result = CliRunner().invoke(cli, ["serve", "--config", str(tmp_path), "--api-key", "k", *extra])
    assert result.exit_code == EXIT_USAGE, result.output
    assert f"--api-key: nothing would check it ({why})" in result.output
    assert 'api.auth = "api_key"' in result.output and "Traceback" not in result.output
