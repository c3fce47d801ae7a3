"""moto is an optional extra ([local]): without it, `deploy --target local` says how to get it."""

from __future__ import annotations

import subprocess
import sys

from lambdaserve.errors import pip_install_extra

# A Python where moto is not importable, as in an install without the [local] extra: a None entry
# in sys.modules makes every `import moto...` raise ImportError.
_WITHOUT_MOTO = """
import sys
sys.modules["moto"] = None
from lambdaserve.cloud.local import start_local_cloud
from lambdaserve.errors import CloudError
try:
    start_local_cloud({}, probe_default=False)
except CloudError as exc:
    print(exc.message)
    print(exc.hint)
else:
    print("started")
"""


def test_the_local_cloud_without_moto_names_the_extra_to_install() -> None:
    done = subprocess.run([sys.executable, "-c", _WITHOUT_MOTO], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    message, hint = done.stdout.splitlines()[:2]
    assert message.startswith("`deploy --target local` needs moto's server, which is not installed here")
    assert hint.startswith(pip_install_extra("local")) and "LAMBDASERVE_LOCAL_ENDPOINT" in hint


def test_loading_every_command_imports_neither_moto_nor_cfn_lint_nor_the_sam_translator() -> None:
    # They are extras (moto) or dev-only (cfn-lint, aws-sam-translator): importing the CLI and
    # every command must not need them.
    code = ("import sys, lambdaserve.cli.main as m\n"
            "for name in m.cli.list_commands(None): m.cli.get_command(None, name)\n"
            "bad = sorted(n for n in sys.modules"
            "            if n.split('.')[0] in ('moto', 'cfnlint', 'samtranslator'))\n"
            "assert not bad, bad\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
