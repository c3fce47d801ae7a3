"""The dev venv's side of build's comparison: the project folder's model, in this venv's Python,
answers the golden requests the package answered (build_proof.compare_dev judges the two).

It runs in a fresh process of this venv's Python over the project folder: the user's model
and code never load into the CLI's process (no stale modules, no crash takes the build down).
Its cold start (this venv's imports, the model's load) costs about as much as the package's
own, so ``DevRun.start`` starts it early, before the zip is built: it loads the model on the
other core while the build and the proof run, then waits for the requests on its stdin (known
only once the package has answered them), answers, and says what it read (opened, listed,
imported, mapped), so its notes can be kept while none of that changes (proof_reuse.DevStore).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from typing import Any

from lambdaserve.config import BUILD_RECORD, Config, runtime_env
from lambdaserve.emulator.fronts import IncomingRequest, rest_event
from lambdaserve.errors import BuildError
from lambdaserve.package import cause_of, inherited_env
from lambdaserve.runtime.golden import GoldenRequest

ANSWER_TIMEOUT_S = 300
# Starts the process with its stdin and stdout as pipes: subprocess.Popen, or a test's own.
Starter = Callable[..., "subprocess.Popen[str]"]


def wanted(config: Config) -> bool:
    """Whether a build of ``config`` will likely need the dev venv's run: not when the last
    build's comparison still holds for its golden requests (a rebuild whose proof is reused)."""
    from lambdaserve.cli.proof_reuse import DevStore
    from lambdaserve.runtime.golden import GoldenSet

    try:
        record = json.loads((config.build_dir / BUILD_RECORD).read_text("utf-8"))
        golden = GoldenSet.from_dict(record["golden"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return True
    return bool(golden.requests) and DevStore.for_run(config, golden, sys.executable).lookup() is None


class DevRun:
    """The dev venv's run: started, loading the model, until ``answer`` or ``stop``."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process

    @classmethod
    def start(cls, config: Config, starter: Starter = subprocess.Popen) -> DevRun:
        return cls(starter([sys.executable, "-c", DEV_SCRIPT], env={**inherited_env(), **runtime_env(config)},
                           cwd=config.project_dir, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True))

    def answer(self, config: Config,
               requests: tuple[GoldenRequest, ...]) -> tuple[list[tuple[int, Any]], list[str]]:
        """The requests' answers (status, body) and the files and folders the run read."""
        events = [rest_event(IncomingRequest("POST", r.path, r.query, [("Content-Type", "application/json")],
                                             r.data()), resource=r.path, stage=config.api.stage)
                  for r in requests]
        try:
            out, err = self.process.communicate(json.dumps(events), timeout=ANSWER_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.stop()
            raise BuildError(f"this venv's Python did not answer within {ANSWER_TIMEOUT_S} s",
                             hint="Run `lambdaserve invoke` to see how long the model takes here.") from None
        lines = (out or "").strip().splitlines()
        if self.process.returncode != 0 or not lines:
            cause, hint = cause_of((err or "") + (out or ""))
            raise BuildError(cause, hint=hint)
        raw = json.loads(lines[-1])
        return [(int(status), body) for status, body in raw["answers"]], [str(p) for p in raw["read"]]

    def stop(self) -> None:
        """End the run if it is still going (its answers were not needed, or the build failed)."""
        if self.process.returncode is None:
            self.process.kill()
            self.process.communicate()


DEV_SCRIPT = """
import json, os, sys
read = set()

def _hook(event, args):
    if event in ("open", "ctypes.dlopen", "os.listdir", "os.scandir") and args:
        where = args[0] if args[0] is not None else "."
        if isinstance(where, (str, bytes, os.PathLike)):
            read.add(os.path.abspath(os.fsdecode(os.fspath(where))))

sys.addaudithook(_hook)
from lambdaserve.runtime.app import Runtime
from lambdaserve.runtime.settings import RuntimeSettings

class Context:
    aws_request_id = "lambdaserve-dev-compare"
    function_name = "lambdaserve-dev-compare"

runtime = Runtime.from_settings(RuntimeSettings.from_env())
events = json.loads(sys.stdin.read() or "null")  # sent once the package has answered them
if events is None:  # not needed after all
    sys.exit(0)
out = []
for event in events:
    answer = runtime.handle(event, Context())
    out.append([answer["statusCode"], json.loads(answer["body"])])
for module in list(sys.modules.values()):
    where = getattr(module, "__file__", None)
    if isinstance(where, str):
        read.update((os.path.abspath(where), os.path.dirname(os.path.abspath(where))))
read.update(os.path.abspath(p or ".") for p in sys.path)
with open("/proc/self/maps", encoding="utf-8", errors="replace") as fh:
    read.update(p for p in (line.split(None, 5)[-1].strip() for line in fh) if p.startswith("/"))
sys.stdout.write("\\n" + json.dumps({"answers": out, "read": sorted(read)}) + "\\n")
"""
