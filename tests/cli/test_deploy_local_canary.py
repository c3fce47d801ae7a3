"""`deploy --target local --traffic-shift ...`: the canary rehearsed in the local cloud.

One moto server holds the stack across the deploys (as a user's own `moto_server` would):
version 1 is deployed at once, a retrained version 2 is promoted through a canary, a version 3
that fails under traffic is rolled back by the 5xx alarm (the share it served is measured), and a
version 4 whose answers differ from build's record is stopped by the pre-traffic check.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from lambdaserve.cli.main import cli
from lambdaserve.cloud.local import ENV_ENDPOINT
from lambdaserve.cloud.stack import alias_version
from tests.cloud.fakes import moto_clients, moto_server
from tests.helpers import share_runtime_support
from tests.package.test_zip_build import UNTRIMMED, make_project

# Loads, answers its first predictions, then fails every one: a version that passes the pre-traffic
# check (one golden request) and breaks under traffic, as a leak or a bad cache would.
FAILS_UNDER_TRAFFIC = '''
    class Predictor:
        def load(self, model_dir):
            self.calls = 0

        def predict(self, inputs):
            self.calls += 1
            if self.calls > 2:
                raise MemoryError("the feature cache outgrew the function's memory")
            return {"score": [0.5 for _ in inputs["features"]]}
'''


def _deploy(project: Path, endpoint: str, *args: str):
    result = CliRunner(env={ENV_ENDPOINT: endpoint}).invoke(
        cli, ["deploy", "--target", "local", "--yes", "--no-serve", "--skip-doctor", "--config", str(project),
              *args])
    print(result.output)  # what the user saw: `pytest -s` shows it
    return result, " ".join(result.output.split())  # rich wraps long lines


def _weights(project: Path, b: float) -> None:
    (project / "model" / "weights.json").write_text(json.dumps({"w": [2.0, -1.0], "b": b}))


@pytest.mark.slow
def test_a_good_version_is_promoted_and_a_bad_one_rolled_back_with_the_share_it_served(tmp_path, py312):
    project = make_project(tmp_path / "p", requirements=())
    share_runtime_support(project)  # awslambdaric for the local Lambda, built once per run
    toml = project / "lambdaserve.toml"
    toml.write_text(toml.read_text() + ("" if UNTRIMMED in toml.read_text() else UNTRIMMED))
    shift = ("--traffic-shift", "Canary10Percent5Minutes", "--shift-speed", "100")  # 5 min in 3 s
    with moto_server() as endpoint:
        clients = moto_clients(endpoint)
        first, said = _deploy(project, endpoint, *shift)
        assert first.exit_code == 0, first.output
        assert "a first deploy has no version to shift from" in said

        _weights(project, 0.75)  # retrained: a good version 2
        good, said = _deploy(project, endpoint, *shift)
        assert good.exit_code == 0, good.output
        assert "pre-traffic check passed" in said
        assert ("step 1/2: version 2 takes 10% (alias 'live' on version 1, weights {'2': 0.1}) for 5 min"
                in said)
        assert re.search(r"minute 5 \([\d.]+ s here\): 20 requests", said)  # a fixed count per minute
        promoted = re.search(r"promoted: version 2 serves all traffic; the new version served (\d+) of (\d+)",
                             said)
        assert promoted, said
        assert 0 < int(promoted.group(1)) < int(promoted.group(2))
        assert alias_version(clients, "tiny", "live") == "2"

        (project / "scorer" / "linear.py").write_text(textwrap.dedent(FAILS_UNDER_TRAFFIC))
        # built and proved like any release: a shift needs build's recorded answers for its hook
        proved = CliRunner().invoke(cli, ["build", "--config", str(project)])
        assert proved.exit_code == 0, proved.output
        broken = project / ".lambdaserve" / "build" / "tiny.zip"
        bad, said = _deploy(project, endpoint, "--artifact", str(broken), *shift)
        assert bad.exit_code == 1, bad.output
        assert "pre-traffic check passed" in said  # its first answers are fine
        rolled = re.search(r"version 3 rolled back: alarm 5xx: (\d+) answers 5xx \(alarm at 1\); the new "
                           r"version served (\d+) of (\d+) requests \(([\d.]+)%\) for ([\d.]+) s here "
                           r"\((\d+) min of the shift\); alias 'live' serves version 2 again", said)
        assert rolled, said
        assert 0 < int(rolled.group(2)) < int(rolled.group(3))
        assert 1 <= int(rolled.group(6)) <= 5  # rolled back in the minute the alarm fired, not at the end
        assert "the feature cache outgrew" in said  # the new version's own log line
        assert alias_version(clients, "tiny", "live") == "2"

        # answers that differ from what build recorded: stopped before it takes any traffic
        fresh = make_project(tmp_path / "fresh", requirements=())  # the linear predictor again
        (project / "scorer" / "linear.py").write_text((fresh / "scorer" / "linear.py").read_text())
        _weights(project, 1.25)
        built = CliRunner().invoke(cli, ["build", "--config", str(project)])
        assert built.exit_code == 0, built.output
        record_path = project / ".lambdaserve" / "build" / "build.json"
        record = json.loads(record_path.read_text())
        record["golden"]["requests"][0]["answer"] = {"predictions": [9.0]}
        record_path.write_text(json.dumps(record))
        zip_path = project / ".lambdaserve" / "build" / "tiny.zip"
        differs, said = _deploy(project, endpoint, "--artifact", str(zip_path), *shift)
        assert differs.exit_code == 1, differs.output
        assert "the pre-traffic check failed" in said and "answered differently" in said
        assert "the new version served 0 of 0 requests" in said
        assert alias_version(clients, "tiny", "live") == "2"
