"""The canary rehearsal reads the new version's log to say why it failed. The local API Gateway
answers the client before the invocation's END and REPORT are written (after_answer.py), and a
wrong 200 answer's handler lines drain from the worker's pipe at that point too: read at once,
the log may lack them. settled_log waits (bounded, on the injected clock) for every START's
REPORT. The server thread is played by the sleep, so the race is the same every run."""

from __future__ import annotations

from lambdaserve.cli.local_canary import LOG_SETTLE_S, settled_log
from lambdaserve.emulator.execution.lambda_text import end_line, report_line, start_line


class Server:
    """A clock and a sleep; while the rehearsal sleeps, the server writes the lines still due."""

    def __init__(self, lines: list[str], due: list[list[str]]) -> None:
        self.now = 0.0
        self.lines, self.due = lines, due
        self.sleeps = 0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        self.now += seconds
        if self.due:
            self.lines += self.due.pop(0)


def test_the_failed_answers_lines_are_read_only_once_its_report_is_written() -> None:
    lines = [start_line("r1")]  # what the log holds when the client has its wrong 200 answer
    late = ["predictor: feature 'Rome' unseen, answering 0", end_line("r1"),
            report_line("r1", 3.0, 512, 80, None)]
    server = Server(lines, [[], late])  # written during the rehearsal's second sleep
    assert "unseen" not in "\n".join(lines)  # read at once: the cause is missing
    log = settled_log(lines, server.clock, server.sleep)
    assert "feature 'Rome' unseen" in log and "REPORT RequestId: r1" in log
    assert server.sleeps == 2  # and no longer than that


def test_a_report_that_never_comes_is_waited_for_a_bounded_time() -> None:
    lines = [start_line("r1"), report_line("r1", 1.0, 512, 80, None), start_line("r2"), "Traceback ..."]
    server = Server(lines, [])
    log = settled_log(lines, server.clock, server.sleep)
    assert log.endswith("Traceback ...")
    assert LOG_SETTLE_S <= server.now < LOG_SETTLE_S + 0.1


def test_a_settled_log_is_read_at_once() -> None:
    lines = [start_line("r1"), "out", end_line("r1"), report_line("r1", 1.0, 512, 80, None)]
    server = Server(lines, [])
    settled_log(lines, server.clock, server.sleep)
    assert server.sleeps == 0
