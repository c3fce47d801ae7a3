"""The ELF reader of the system-library check, on a made-up ELF64 object cut at every part: a file that
says it is ELF but is cut short is a BuildError naming it with the fix, a file that is not ELF needs
nothing, and a file truncated while it is being read never kills the process (a mapped file did,
with SIGBUS)."""

from __future__ import annotations

import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lambdaserve.errors import BuildError
from lambdaserve.runtime.system_libraries import missing_libraries, needed

_DYN_AT = 8192  # past the first page: a mapped reader touches a page the truncation removed
_STR_AT = _DYN_AT + 256
_NAMES = b"\0libfoo.so.1\0libc.so.6\0"


def elf_object() -> bytes:
    """A 64-bit little-endian shared object needing libfoo.so.1 and libc.so.6: a header, a PT_LOAD
    over the whole file, a PT_DYNAMIC at _DYN_AT, its names at _STR_AT."""
    size = _STR_AT + len(_NAMES)
    dynamic = struct.pack("<qQqQqQqQ", 1, 1, 1, 13, 5, _STR_AT, 0, 0)  # NEEDED, NEEDED, STRTAB, NULL
    header = struct.pack("<16sHHIQQQIHHHHHH", b"\x7fELF\x02\x01\x01" + b"\0" * 9, 3, 62, 1, 0, 64, 0, 0,
                         64, 56, 2, 64, 0, 0)
    load = struct.pack("<IIQQQQQQ", 1, 4, 0, 0, 0, size, size, 4096)
    dyn = struct.pack("<IIQQQQQQ", 2, 6, _DYN_AT, _DYN_AT, _DYN_AT, len(dynamic), len(dynamic), 8)
    body = bytearray(size)
    body[: 64 + 112] = header + load + dyn
    body[_DYN_AT : _DYN_AT + len(dynamic)] = dynamic
    body[_STR_AT:] = _NAMES
    return bytes(body)


def test_the_reader_lists_what_the_object_needs(tmp_path: Path) -> None:
    (tmp_path / "libx.so").write_bytes(elf_object())
    assert needed(tmp_path / "libx.so") == ("libfoo.so.1", "libc.so.6")


@pytest.mark.parametrize(("cut", "says"), [
    (5, "5 bytes, shorter than the ELF identification"),
    (40, "40 bytes, shorter than an ELF64 header (64)"),
    (100, "its program headers (112 bytes at 64) run past the end of the file"),
    (_DYN_AT + 20, "its dynamic section (64 bytes at 8192) run past the end of the file"),
    (_STR_AT + 5, "a library name at 8449 runs past the end of the file"),
], ids=["ident", "header", "program-headers", "dynamic", "names"])
def test_an_elf_object_cut_short_is_an_error_naming_it_with_the_fix(tmp_path: Path, cut: int,
                                                                     says: str) -> None:
    # it needed nothing as far as the reader could tell, so build and doctor passed a damaged layer
    path = tmp_path / "libcut.so"
    path.write_bytes(elf_object()[:cut])
    with pytest.raises(BuildError) as refused:
        needed(path)
    assert refused.value.message == f"{path} is a damaged shared object: {says}"
    assert "reinstall the package it belongs to" in refused.value.hint
    site = tmp_path / "site"
    site.mkdir()
    path.rename(site / "libcut.so")
    with pytest.raises(BuildError, match="libcut.so is a damaged shared object"):
        missing_libraries(site)


@pytest.mark.parametrize("content", [b"", b"\x7fEL", b"/* GNU ld script */\nGROUP ( libc.so.6 )\n",
                                     b"\x7fELF\x01\x01" + b"\0" * 58],
                         ids=["empty", "three-bytes", "linker-script", "32-bit"])
def test_a_file_that_is_not_an_elf64_object_needs_nothing(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "libc.so").write_bytes(content)
    assert needed(tmp_path / "libc.so") == ()


def test_an_unreadable_file_is_an_error_not_a_pass(tmp_path: Path) -> None:
    folder = tmp_path / "libdir.so"
    folder.mkdir()  # opening a folder fails as reading an unreadable file does
    with pytest.raises(BuildError, match=r"cannot read .*libdir.so to check the libraries it needs"):
        needed(folder)


_CUTTER = textwrap.dedent("""
    import sys
    whole = open(sys.argv[1], "rb").read()
    with open(sys.argv[1], "r+b") as fh:
        while True:  # until killed: cut to one page, then whole again
            fh.truncate(200)
            fh.seek(0)
            fh.write(whole)
            fh.flush()
""")
_READER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from lambdaserve.errors import BuildError
    from lambdaserve.runtime.system_libraries import needed

    answers = set()
    for _ in range(5000):
        try:
            answers.add(str(needed(Path(sys.argv[1]))))
        except BuildError:
            answers.add("damaged")
    print(sorted(answers))
""")


def test_a_file_truncated_while_it_is_read_never_kills_the_process(tmp_path: Path) -> None:
    # mapped, the reader touched page 3 after another process cut the file to one page: SIGBUS
    path = tmp_path / "libx.so"
    path.write_bytes(elf_object())
    cutter = subprocess.Popen([sys.executable, "-c", _CUTTER, str(path)])
    try:
        done = subprocess.run([sys.executable, "-c", _READER, str(path)], capture_output=True, text=True,
                              timeout=300, cwd=Path(__file__).resolve().parents[2])
    finally:
        cutter.kill()
        cutter.wait()
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert "libfoo.so.1" in done.stdout
