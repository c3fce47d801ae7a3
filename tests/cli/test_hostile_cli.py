"""Command-line input a user gets wrong: a message and exit 2, never a traceback, a hang or a
read without end; and a model that cannot load stops `serve` at start, saying why."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from lambdaserve.cli.invoke_io import FIFO_WAIT_S, read_event
from lambdaserve.cli.main import EXIT_REFUSED, EXIT_USAGE, cli
from lambdaserve.errors import UsageError
from tests import models

LAMBDASERVE = str(Path(sys.executable).with_name("lambdaserve"))


def _cli(args: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LAMBDASERVE, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("url", ["not a url", "ftp://x", "http://", "127.0.0.1:5000", "http://h:port"])
@pytest.mark.parametrize("command", [["invoke", "--remote", "--data", "[[1]]"], ["deploy"],
                                     ["doctor", "--remote"],
                                     ["policy"]])
def test_an_endpoint_url_that_is_not_a_url_exits_2(tmp_path: Path, command: list[str], url: str) -> None:
    done = CliRunner().invoke(cli, [*command, "--endpoint-url", url, "--config", str(tmp_path)])
    assert done.exit_code == EXIT_USAGE, (done.output, done.exception)
    assert "is not an http(s) URL" in done.output and "Traceback" not in done.output


def test_an_endless_event_file_is_read_only_past_6_mb(tmp_path: Path) -> None:
    done = _cli(["invoke", "--event", "/dev/zero", "--config", str(tmp_path)], tmp_path, timeout=60)
    assert done.returncode == EXIT_USAGE, done.stderr
    assert "over 6291456 bytes" in done.stderr and "Traceback" not in done.stderr


def test_an_event_file_over_6_mb_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    big.write_bytes(b'{"body": "' + b"x" * (6 * 1024 * 1024) + b'"}')
    done = CliRunner().invoke(cli, ["invoke", "--event", str(big), "--config", str(tmp_path)])
    assert done.exit_code == EXIT_USAGE and "over 6291456 bytes" in done.output


def test_a_fifo_without_a_writer_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "events"
    os.mkfifo(fifo)
    done = _cli(["invoke", "--event", str(fifo), "--config", str(tmp_path)], tmp_path, timeout=60)
    assert done.returncode == EXIT_USAGE, done.stderr
    assert f"nothing wrote to within {FIFO_WAIT_S} s" in done.stderr


def _write_later(fifo: Path, data: bytes | None) -> threading.Thread:
    def write() -> None:
        time.sleep(0.3)  # after the reader opened the FIFO: the writer comes late, as a shell's may
        with fifo.open("wb") as out:
            if data is not None:
                out.write(data)

    thread = threading.Thread(target=write)
    thread.start()
    return thread


def test_a_fifo_whose_writer_comes_late_is_read(tmp_path: Path) -> None:
    fifo = tmp_path / "events"
    os.mkfifo(fifo)
    writer = _write_later(fifo, b'{"data": [[1, 2]]}')
    assert read_event(str(fifo), None) == {"data": [[1, 2]]}
    writer.join()
    writer = _write_later(fifo, None)  # a writer that hangs up without writing
    with pytest.raises(UsageError, match="is empty"):
        read_event(str(fifo), None)
    writer.join()


def test_an_event_that_is_a_folder_is_a_message(tmp_path: Path) -> None:
    done = CliRunner().invoke(cli, ["invoke", "--event", str(tmp_path), "--config", str(tmp_path)])
    assert done.exit_code == EXIT_USAGE and "is a folder" in done.output, done.output


@pytest.mark.parametrize("cell", ["3.5e38", "1e308", str(10**308)])
def test_a_random_forest_refuses_what_overflows_float32_with_exit_4(tmp_path: Path, cell: str) -> None:
    made = models.sklearn_classifier(tmp_path)
    (tmp_path / "lambdaserve.toml").write_text(f'name = "iris"\n[model]\npath = "{made.path.name}"\n')
    done = CliRunner().invoke(cli, ["invoke", "--in-process", "--config", str(tmp_path),
                                    "--data", f"[[{cell}, 3.5, 1.4, 0.2]]"])
    assert done.exit_code == EXIT_REFUSED, done.output
    assert "out of range for float32" in done.output


_BROKEN = '''
    class Predictor:
        def load(self, model_dir):
            raise FileNotFoundError("weights.bin is missing from the model folder")

        def predict(self, inputs):
            return inputs
'''


@pytest.mark.slow
def test_serve_with_a_model_that_cannot_load_stops_at_start_saying_why(tmp_path: Path) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "notes.txt").write_text("no weights")
    (tmp_path / "broken_predictor.py").write_text(textwrap.dedent(_BROKEN))
    (tmp_path / "lambdaserve.toml").write_text(
        'name = "broken"\n[model]\npath = "model"\nframework = "custom"\n'
        'predictor = "broken_predictor:Predictor"\n')
    done = _cli(["serve", "--port", "0"], tmp_path, timeout=120)
    assert done.returncode != 0, done.stdout
    assert "Serving" not in done.stdout
    assert "weights.bin is missing from the model folder" in done.stderr
    assert "error:" in done.stderr and "hint:" in done.stderr
