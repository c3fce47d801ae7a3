"""The namespace sandbox's /tmp image is copied from an empty template made once per size and
kept for later processes: each emulator start paid three mkfs.ext4 and dumpe2fs runs before."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import require_tool

_MAKE = ("import json; from lambdaserve.emulator.sandbox.tmp_disk import fresh_image; "
         "print(json.dumps(str(fresh_image(8))))")


def _fresh_image_in_a_new_process(disks: Path) -> Path:
    done = subprocess.run([sys.executable, "-c", _MAKE], capture_output=True, text=True, check=True,
                          env={**os.environ, "LAMBDASERVE_TMP_DISK_DIR": str(disks)})
    return Path(json.loads(done.stdout))


def test_the_template_is_made_once_and_each_image_is_a_copy_of_it(tmp_path):
    require_tool("mkfs.ext4")
    require_tool("dumpe2fs")
    disks = tmp_path / "disks"
    first = _fresh_image_in_a_new_process(disks)
    [template] = disks.glob("template-8-*.img")
    made = template.stat()
    second = _fresh_image_in_a_new_process(disks)
    again = template.stat()
    assert (again.st_ino, again.st_mtime_ns) == (made.st_ino, made.st_mtime_ns)  # not made again
    assert first != second and first.read_bytes() == second.read_bytes() == template.read_bytes()
    out = subprocess.run(["dumpe2fs", "-h", str(second)], capture_output=True, text=True, check=True).stdout
    assert "Filesystem magic number:  0xEF53" in out  # an ext4 image, whole
    assert not list(disks.glob(f"{os.getpid()}-*")) and not list(disks.glob("*-template-*"))
