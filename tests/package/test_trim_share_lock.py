"""Two builds adding their verified plans to the same shared trim at the same moment: both
updates count. Each merge reads the entry, intersects and writes it back; without a lock
across processes, the second writer's read misses the first one's write and wins."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from lambdaserve.package.deps import trim_share

FILES = 400  # files every plan leaves out at first; each merge keeps one of them in
MERGES = 100  # per process

WRITER = textwrap.dedent('''
    import sys, time
    from pathlib import Path
    from lambdaserve.package.deps import trim_share

    store, who, start = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    files, merges = int(sys.argv[4]), int(sys.argv[5])
    while not start.exists():  # both processes begin together
        time.sleep(0.001)
    shared = trim_share.Shared(store, "k")
    for i in range(merges):
        kept_in = f"{who}-{i}"
        removed = {f"pkg/{n}.py": 1 for n in range(files)}
        removed |= {f"pkg/{w}-{j}.py": 1 for w in ("a", "b") for j in range(merges)}
        del removed[f"pkg/{kept_in}.py"]  # this project imports that file
        trim_share.merge(shared, removed, {}, f"project-{kept_in}")
''')


def test_two_processes_merging_at_once_both_narrow_the_shared_plan(tmp_path: Path) -> None:
    store, start = tmp_path / "trims", tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(store), who, str(start),
                              str(FILES), str(MERGES)])
             for who in ("a", "b")]
    start.touch()
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    found = trim_share.lookup(trim_share.Shared(store, "k"))
    assert found is not None
    # The intersection of all 2 x MERGES plans: no merge's kept-in file is left out, whoever wrote last.
    assert sorted(found.removed) == sorted(f"pkg/{n}.py" for n in range(FILES))
