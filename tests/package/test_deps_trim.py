"""Trimming an installed dependency folder: what goes, what stays, and stripped objects still load."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import markupsafe
import pytest

from lambdaserve.package.deps.trim_files import _imported_tests, trim_tree
from tests.helpers import require_tool

SPEEDUPS = next(Path(markupsafe.__file__).parent.glob("_speedups.*.so"))  # has debug info: strippable


def _layer(root: Path) -> Path:
    pkg = root / "pkg"
    for rel, text in {
        "pkg/__init__.py": "x = 1\n",
        "pkg/tests/test_x.py": "def test(): pass\n",
        "pkg/sub/tests/data.txt": "d" * 1000,
        "pkg/docs/index.rst": "docs\n",
        "sdk/docs/docstring.py": "# a package in use, as botocore.docs is\n",
        "pkg/include/pkg/api.h": "int f(void);\n",
        "pkg/_impl.pyx": "cdef int x\n",
        "pkg/_impl.pxd": "cdef int x\n",
        "pkg/_fast.pyx.tp": "{{py: x}}\n",
        "pkg/__init__.pyi": "x: int\n",
        "pkg/descr/iris.rst": "read at runtime by load_iris-like code\n",
        "pkg/__pycache__/__init__.cpython-311.pyc": "host bytecode",
        "pkg/__pycache__/__init__.cpython-312.pyc": "target bytecode",
        "pkg/testing/__init__.py": "# a public module (numpy.testing): kept\n",
        "lib/test/helpers.py": "# 'test' without test modules is an ordinary package\n",
        "other/test/test_a.py": "def test(): pass\n",
        "pkg-1.0.dist-info/METADATA": "Name: pkg\nVersion: 1.0\n",
        "pkg-1.0.dist-info/RECORD": "pkg/__init__.py,,\n" * 100,
        "pkg-1.0.dist-info/INSTALLER": "pip\n",
        "pkg-1.0.dist-info/entry_points.txt": "[console_scripts]\npkg = pkg:main\n",
        "bin/pkg": "#!/usr/bin/python3.11\n",
    }.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    (pkg / "libpkg.a").write_bytes(b"!<arch>\n")
    shutil.copytree(SPEEDUPS.parent, root / "markupsafe", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "pkg" / "capi").mkdir()
    shutil.copyfile(SPEEDUPS, root / "pkg" / "capi" / "libpkg_c_api.so.1.2")  # named by nothing
    shutil.copyfile(SPEEDUPS, root / "pkg" / "capi" / "libloaded.so")
    (root / "pkg" / "capi" / "load.py").write_text('import ctypes\nctypes.CDLL("libloaded" + ".so")\n')
    (root / "pkg.libs").mkdir()
    shutil.copyfile(SPEEDUPS, root / "pkg.libs" / "libbundled-1a2b3c.so.1")
    return root


def test_trim_removes_what_is_never_imported_and_keeps_metadata(tmp_path):
    root = _layer(tmp_path / "site")
    report = trim_tree(root, python="3.12", architecture="x86_64", strip_tool="")
    left = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    for gone in ("pkg/tests/test_x.py", "pkg/sub/tests/data.txt", "pkg/docs/index.rst",
                 "pkg/include/pkg/api.h", "pkg/_impl.pyx", "pkg/_impl.pxd", "pkg/_fast.pyx.tp",
                 "pkg/__init__.pyi",
                 "pkg/__pycache__/__init__.cpython-311.pyc", "pkg/libpkg.a", "other/test/test_a.py",
                 "pkg-1.0.dist-info/RECORD", "pkg-1.0.dist-info/INSTALLER", "bin/pkg"):
        assert gone not in left, gone
    for kept in ("pkg/__init__.py", "pkg/descr/iris.rst", "pkg/__pycache__/__init__.cpython-312.pyc",
                 "pkg/testing/__init__.py", "lib/test/helpers.py", "sdk/docs/docstring.py",
                 "pkg-1.0.dist-info/METADATA", "pkg-1.0.dist-info/entry_points.txt"):
        assert kept in left, kept
    assert not (root / "pkg" / "include").exists()  # emptied folders go too
    # A native library nothing names is never loaded; one named by a ctypes call is kept.
    assert "pkg/capi/libpkg_c_api.so.1.2" not in left and "pkg/capi/libloaded.so" in left
    assert report.removed["unreferenced native libraries"] == SPEEDUPS.stat().st_size
    assert "pkg.libs/libbundled-1a2b3c.so.1" in left
    assert report.removed["tests"] == len("def test(): pass\n") * 2 + 1000
    assert report.removed["install records"] == len("pkg/__init__.py,,\n") * 100 + len("pip\n")
    assert set(report.removed) >= {"tests", "docs", "headers and sources", "type stubs",
                                   "bytecode for other Pythons", "install records", "scripts",
                                   "static libraries"}


def test_a_tests_package_the_library_imports_is_kept(tmp_path):
    # numpy 2.2's numpy/testing/_private/utils.py: `from numpy._core.tests._natype import pd_NA`
    root = tmp_path / "site"
    for rel, text in {"np/_core/tests/_natype.py": "pd_NA = None\n", "np/_core/tests/test_a.py": "",
                      "np/testing/utils.py": "from np._core.tests._natype import pd_NA\n",
                      "np/linalg/tests/test_b.py": "import np.linalg.tests_helper\n",  # another name
                      "np/linalg/tests/test_c.py": "from np.linalg.tests import test_b\n"}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    trim_tree(root, python="3.12", architecture="x86_64", strip_tool="")
    assert (root / "np/_core/tests/_natype.py").is_file()
    assert not (root / "np/linalg/tests").exists()  # only its own modules name it


NAMED = ["np/_core/tests", "np/linalg/tests", "lib/test", "lib/tests"]


@pytest.mark.parametrize(("text", "kept"), [
    ("from np._core.tests._natype import x", {"np/_core/tests"}),
    ("np.linalg.tests", {"np/linalg/tests"}),  # at the very start of the file
    ("x = 'np.linalg.tests'\nimport lib.test", {"np/linalg/tests", "lib/test"}),
    ("import lib.tests as t, lib.test", {"lib/tests", "lib/test"}),  # "test" and "tests" both end names
    ("import np.linalg.testsuite, np.linalg.tests_helper", set()),  # a name character follows
    ("import xnp.linalg.tests, _np.linalg.tests, a.np.linalg.tests", set()),  # not the whole name
    ("import np._core.tests.np.linalg.tests", {"np/_core/tests"}),  # the outer name only
])
def test_a_tests_package_is_named_only_as_a_whole_dotted_name(tmp_path, text, kept):
    # The one-regex scan this replaced gave these answers; the faster scan must give the same.
    root = tmp_path / "site"
    (root / "user").mkdir(parents=True)
    (root / "user" / "code.py").write_text(text)
    assert _imported_tests(root, NAMED) == kept


def test_shared_objects_are_stripped_but_bundled_libs_are_not(tmp_path):
    strip = require_tool("strip")
    root = _layer(tmp_path / "site")
    ext = root / "markupsafe" / SPEEDUPS.name
    bundled = root / "pkg.libs" / "libbundled-1a2b3c.so.1"
    original = SPEEDUPS.read_bytes()
    report = trim_tree(root, python="3.12", architecture="x86_64", strip_tool=strip)
    assert ext.stat().st_size < len(original)
    loaded = root / "pkg" / "capi" / "libloaded.so"  # a library outside *.libs/ is stripped too
    assert loaded.stat().st_size == ext.stat().st_size
    assert report.removed["stripped shared objects"] == 2 * (len(original) - ext.stat().st_size)
    assert bundled.read_bytes() == original  # *.libs/ untouched: stripping them breaks numpy
    # The stripped extension still loads.
    code = (f"import sys; sys.path.insert(0, {str(root)!r}); "
            "import markupsafe._speedups as m; print(m.__file__)")
    done = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True)
    assert done.returncode == 0 and str(root) in done.stdout, done.stderr


def test_strip_leaves_the_other_links_of_a_hard_linked_object_alone(tmp_path):
    # uv hard-links installed files from its cache: stripping one must not strip the cache's.
    strip = require_tool("strip")
    root = _layer(tmp_path / "site")
    cached = tmp_path / "uv-cache" / SPEEDUPS.name
    cached.parent.mkdir()
    shutil.copyfile(SPEEDUPS, cached)
    ext = root / "markupsafe" / SPEEDUPS.name
    ext.unlink()
    os.link(cached, ext)
    trim_tree(root, python="3.12", architecture="x86_64", strip_tool=strip)
    assert ext.stat().st_size < cached.stat().st_size and ext.stat().st_nlink == 1
    assert cached.read_bytes() == SPEEDUPS.read_bytes()


def test_without_a_strip_tool_objects_are_kept_and_the_report_says_so(tmp_path):
    root = _layer(tmp_path / "site")
    report = trim_tree(root, python="3.12", architecture="arm64", strip_tool="")
    assert (root / "markupsafe" / SPEEDUPS.name).read_bytes() == SPEEDUPS.read_bytes()
    assert any("left unstripped" in note for note in report.notes)
