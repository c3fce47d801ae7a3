"""One exit-code rule for every command: usage 2, config 3, other lambdaserve errors 1, Ctrl-C 130.

The commands are read from the CLI itself, so a newly registered command is covered
without editing this file.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from lambdaserve.cli.main import (
    EXIT_CODES_HELP,
    EXIT_CONFIG,
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    LambdaServeGroup,
    cli,
    exit_code,
)
from lambdaserve.errors import (
    BuildError,
    CloudError,
    ConfigError,
    LambdaServeError,
    ModelLoadError,
    RequestError,
    UsageError,
)

README = Path(__file__).resolve().parents[2] / "README.md"


Named = list[tuple[tuple[str, ...], click.Command]]


def _commands(group: click.Group = cli, path: tuple[str, ...] = ()) -> Named:
    found: Named = []
    ctx = click.Context(group)
    for name in group.list_commands(ctx):  # the top group loads its commands lazily
        command = group.get_command(ctx, name)
        assert command is not None, name
        found.append(((*path, name), command))
        if isinstance(command, click.Group):
            found += _commands(command, (*path, name))
    return found


COMMANDS = _commands()
LEAVES = [(path, command) for path, command in COMMANDS if not isinstance(command, click.Group)]
# What a command needs before it reads lambdaserve.toml.
BEFORE_CONFIG = {("invoke",): ["--data", "[[1]]"], ("convert",): ["--to", "onnx"],
                 ("generate-event",): ["apigw"]}


def _run(args: list[str], **env: str | None):
    return CliRunner().invoke(cli, args, env=env or None)


def test_the_commands_are_all_found():
    names = {" ".join(path) for path, _ in COMMANDS}
    assert {"init", "invoke", "serve", "generate-event", "build", "export", "export dockerfile", "template",
            "policy", "deploy", "status", "logs", "destroy"} <= names


@pytest.mark.parametrize("path", [path for path, _ in COMMANDS], ids=" ".join)
def test_a_bad_option_exits_2_on_every_command(path):
    result = _run([*path, "--no-such-option"])
    assert result.exit_code == EXIT_USAGE, result.output
    # click 8.4 quotes the option ("No such option '--x'"); 8.1 to 8.3 put a colon before it
    assert re.search(r"No such option(:| ')? ?'?--no-such-option", result.output), result.output
    assert "Traceback" not in result.output


READS_CONFIG = [path for path, c in LEAVES if any(p.name == "config_path" for p in c.params)]


@pytest.mark.parametrize("path", READS_CONFIG, ids=" ".join)
def test_a_missing_lambdaserve_toml_exits_3_on_every_command_that_reads_it(path, tmp_path):
    result = _run([*path, *BEFORE_CONFIG.get(path, []), "--config", str(tmp_path / "nowhere")])
    assert result.exit_code == EXIT_CONFIG, result.output
    assert "error:" in result.output and "hint:" in result.output


@pytest.mark.parametrize("args", [
    ["generate-event", "nope"],  # click: not one of the choices
    ["generate-event", "apigw", "--path", "predict"],  # ours: UsageError
    ["generate-event", "apigw", "--body", "{nope"],
    ["init"],  # click: a required option is missing
    ["invoke"],  # ours: neither --event nor --data
    ["invoke", "--data", "[[1]", "--config", "."],
    ["deploy", "--target", "mars"],
    ["serve", "--port", "70000"],
    ["template", "--config", "PROJECT", "--zip", "s3://b/k.zip", "--image", "x@sha256:0"],
    ["template", "--config", "PROJECT", "--zip", "bucket/key"],
    ["tune", "--config", "PROJECT", "--memory", "lots"],
    ["tune", "--config", "PROJECT", "--memory", "64"],  # under Lambda's 128 MB
    ["tune", "--config", "PROJECT", "--data", "[[1]]", "--event", "event.json"],
    ["tune", "--config", "PROJECT", "--data", "[[1]"],
    ["tune", "--config", "PROJECT", "--event", "/nonexistent/event.json"],
    ["tune", "--config", "PROJECT", "--prices", "/nonexistent/prices.toml"],
    ["build", "--config", "PROJECT", "--package", "zip", "--push", "127.0.0.1:5000/x:1"],
], ids=" ".join)
def test_a_bad_argument_exits_2(args, tmp_path):
    result = _run([str(_project(tmp_path)) if arg == "PROJECT" else arg for arg in args])
    assert result.exit_code == EXIT_USAGE, result.output
    assert "Traceback" not in result.output


def _project(root: Path) -> Path:
    (root / "model.onnx").write_bytes(b"not really onnx")
    (root / "lambdaserve.toml").write_text('name = "codes"\n[model]\npath = "model.onnx"\n'
                                           'framework = "onnx"\n')
    return root


NO_AWS = {"AWS_REGION": None, "AWS_DEFAULT_REGION": None, "AWS_PROFILE": None,
          "AWS_CONFIG_FILE": "/nonexistent/config", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials"}


@pytest.mark.parametrize("verb", ["deploy", "status", "logs", "destroy", "policy"])
def test_a_cloud_error_exits_1(verb, tmp_path):
    _project(tmp_path)
    extra = ["--account", "123456789012"] if verb == "policy" else ["--target", "aws"]
    result = _run([verb, "--config", str(tmp_path), *extra], **NO_AWS)
    assert result.exit_code == EXIT_ERROR, result.output
    assert "region" in result.output and "hint:" in result.output  # refused before any AWS call


def test_a_bad_artifact_digest_exits_1(tmp_path):
    _project(tmp_path)
    result = _run(["template", "--config", str(tmp_path), "--zip", "s3://bucket-a/k.zip", "--sha256", "beef"])
    assert result.exit_code == EXIT_ERROR, result.output
    assert "64 lowercase hex digits" in result.output


def _group_raising(exc: BaseException | None, *, confirm: bool = False) -> click.Group:
    group = LambdaServeGroup("t")

    @group.command("go")
    def go() -> None:
        if confirm:
            click.confirm("Sure?", abort=False)
        if exc is not None:
            raise exc

    return group


@pytest.mark.parametrize(("exc", "code"), [
    (UsageError("u"), EXIT_USAGE),
    (ConfigError("c"), EXIT_CONFIG),
    (LambdaServeError("x"), EXIT_ERROR),
    (CloudError("x"), EXIT_ERROR),
    (BuildError("x"), EXIT_ERROR),
    (ModelLoadError("x"), EXIT_ERROR),
    (RequestError("x", status=422), EXIT_ERROR),
    (KeyboardInterrupt(), EXIT_INTERRUPTED),
])
def test_the_rule_through_click(exc, code):
    result = CliRunner().invoke(_group_raising(exc), ["go"])
    assert result.exit_code == code == exit_code(exc)
    assert "Traceback" not in result.output


def test_ctrl_c_at_a_question_is_130_and_closed_stdin_is_1():
    try:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise click.Abort() from None  # what click.confirm does
    except click.Abort as abort:
        assert exit_code(abort) == EXIT_INTERRUPTED
    closed = CliRunner().invoke(_group_raising(None, confirm=True), ["go"], input="")
    assert closed.exit_code == EXIT_ERROR
    assert "standard input is closed" in closed.output and "--yes" in closed.output


def test_the_table_is_in_help_and_in_the_readme():
    shown = _run(["--help"]).output
    readme = README.read_text(encoding="utf-8")
    rows = EXIT_CODES_HELP.splitlines()[2:]
    assert len(rows) == 6
    for row in rows:
        assert row.strip() in shown  # kept as a table: click does not rewrap a \\b paragraph
        assert f"| {row.split()[0]} |" in readme, f"README lacks exit code {row.split()[0]}"


@pytest.mark.parametrize(("args", "message"), [
    (["--data", "[[1]"], "--data is not valid JSON: Expecting ',' delimiter"),
    (["--data", "[[NaN]]"], "--data holds NaN, which is not JSON"),  # tune sent it to the runtime
    (["--event", "EVENT"], "is not valid JSON: Expecting value"),  # its hint was about --data rows
])
def test_tune_reads_data_and_events_as_invoke_does(args, message, tmp_path):
    (tmp_path / "event.json").write_text("nope")
    args = [str(tmp_path / "event.json") if arg == "EVENT" else arg for arg in args]
    tune = _run(["tune", "--config", str(_project(tmp_path)), *args])
    invoke = _run(["invoke", "--config", str(tmp_path), *args])
    assert tune.exit_code == invoke.exit_code == EXIT_USAGE, tune.output
    assert message in tune.output and tune.output == invoke.output
