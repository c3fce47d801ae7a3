"""What a pickle, joblib or skops file refers to, read WITHOUT loading the model.

A pickle names every class and function it needs as (module, name) in GLOBAL/STACK_GLOBAL
opcodes. We run the pickle machine with a ``find_class`` that imports nothing and hands back
inert stand-ins, so no code from the file or from the modules it names ever runs. joblib
writes each numpy array's raw bytes straight into the stream after a NumpyArrayWrapper (an
object array as a nested pickle), so the BUILD of that wrapper skips them (as joblib's own
unpickler, which also subclasses the pure-Python ``pickle._Unpickler``, reads them). Files
joblib compressed are decompressed by their magic bytes. skops files are zips whose
schema.json names each object's ``__module__``.
"""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import pickle
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, cast

from lambdaserve.errors import BuildError

# joblib's compressors, by the magic bytes that start their files (joblib/compressor.py).
_LZ4_MAGIC = b"\x04\x22\x4d\x18"
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip"), (b"BZh", "bz2"), (b"\xfd7zXZ", "xz"), (b"\x5d\x00\x00", "lzma"),
    (_LZ4_MAGIC, "lz4"), (b"\x78", "zlib"),
)
_WRAPPER = ("joblib.numpy_pickle", "NumpyArrayWrapper")
# The pure-Python pickle machine: its dispatch table and stack can be reached, the C one's cannot.
_PyUnpickler: Any = vars(pickle)["_Unpickler"]


@dataclass
class PickleRefs:
    """The (module, name) globals a model file names, and what its fitted state shows."""

    globals: dict[tuple[str, str], None] = field(default_factory=dict)  # a set in the file's order
    attributes: set[str] = field(default_factory=set)  # keys of the objects' state dicts
    compression: str = ""

    @property
    def modules(self) -> set[str]:
        return {module for module, _ in self.globals}


class _StandIn:
    """Whatever the pickle builds: accepts any call, state, item or append, and runs nothing."""

    _ref: tuple[str, str] = ("", "")

    def __new__(cls, *args: Any, **kwargs: Any) -> _StandIn:
        obj = super().__new__(cls)
        obj.__dict__["_args"] = args
        return obj

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __call__(self, *args: Any, **kwargs: Any) -> _StandIn:
        return _StandIn()

    def __setstate__(self, state: Any) -> None:
        self.__dict__["_state"] = state

    def __setitem__(self, key: Any, value: Any) -> None:
        pass

    def append(self, item: Any) -> None:
        pass

    def extend(self, items: Any) -> None:
        pass

    def add(self, item: Any) -> None:
        pass


class _RefReader(_PyUnpickler):  # type: ignore[misc]  # pickle's pure-Python unpickler, as joblib's NumpyUnpickler
    def __init__(self, fh: IO[bytes], refs: PickleRefs) -> None:
        super().__init__(fh)
        self._fh = fh
        self._refs = refs
        self._classes: dict[tuple[str, str], type[_StandIn]] = {}
        dispatch: dict[int, Any] = dict(_PyUnpickler.dispatch)
        dispatch[pickle.BUILD[0]] = _RefReader._build
        self.dispatch = dispatch

    def find_class(self, module: str, name: str) -> type[_StandIn]:
        key = (module, name)
        self._refs.globals[key] = None
        if key not in self._classes:
            self._classes[key] = type(name.replace(".", "_") or "_", (_StandIn,), {"_ref": key})
        return self._classes[key]

    def persistent_load(self, pid: Any) -> _StandIn:
        return _StandIn()

    def _build(self) -> None:
        state = self.stack[-1]
        _PyUnpickler.load_build(self)
        if isinstance(state, dict):
            self._refs.attributes.update(k for k in state if isinstance(k, str))
        elif isinstance(state, tuple) and state and isinstance(state[0], dict):
            self._refs.attributes.update(k for k in state[0] if isinstance(k, str))
        built = self.stack[-1]
        if isinstance(built, _StandIn) and built._ref == _WRAPPER:
            self._skip_array(state if isinstance(state, dict) else {})

    def _skip_array(self, state: dict[str, Any]) -> None:
        """Step over the array joblib wrote after its wrapper, the way joblib reads it back."""
        code, size = _dtype_code(state.get("dtype"))
        if code == "O":  # an object array is a nested pickle, whose globals count too
            _RefReader(self._fh, self._refs).load()
            return
        if state.get("numpy_array_alignment_bytes") is not None:
            padding = self._fh.read(1)
            self._fh.read(padding[0] if padding else 0)
        count = 1
        for dim in state.get("shape", ()):
            count *= int(dim)
        wanted = count * size
        if len(self._fh.read(wanted)) != wanted:
            raise pickle.UnpicklingError("the file ends inside a numpy array")


def _dtype_code(dtype: Any) -> tuple[str, int]:
    """A pickled numpy dtype's kind and item size, from its arguments and state (no numpy needed)."""
    args = getattr(dtype, "__dict__", {}).get("_args", ())
    state = getattr(dtype, "__dict__", {}).get("_state", ())
    name = str(args[0]) if args else ""
    if not name:
        raise pickle.UnpicklingError("a NumpyArrayWrapper without a dtype")
    code = name[0]
    if code == "O":
        return "O", 0
    elsize = state[5] if isinstance(state, tuple) and len(state) > 5 and isinstance(state[5], int) else -1
    if elsize > 0:  # flexible (U, S, V) and structured dtypes record their size in the state
        return code, elsize
    digits = "".join(ch for ch in name if ch.isdigit())
    if not digits:
        raise pickle.UnpicklingError(f"cannot tell the item size of numpy dtype {name!r}")
    return code, int(digits)


def _decompressed(path: Path, head: bytes) -> tuple[IO[bytes], str]:
    if head[:1] == b"\x80" or not head:
        return path.open("rb"), ""
    kind = next((k for magic, k in _MAGIC if head.startswith(magic)), "")
    if not kind:
        return path.open("rb"), ""
    if kind == "gzip":
        return cast(IO[bytes], gzip.open(path, "rb")), kind
    if kind == "bz2":
        return cast(IO[bytes], bz2.open(path, "rb")), kind
    if kind in ("xz", "lzma"):
        return cast(IO[bytes], lzma.open(path, "rb")), kind
    if kind == "lz4":
        try:
            import lz4.frame  # joblib's lz4 compression needs the lz4 package, there and here
        except ImportError as exc:
            raise BuildError(f"{path.name} is compressed with lz4, and the lz4 package is not installed "
                             "here to read it", hint="pip install lz4, or save the model with another "
                                                     "compression (joblib.dump(..., compress=3)).") from exc
        return cast(IO[bytes], lz4.frame.open(path, "rb")), kind
    try:
        return io.BytesIO(zlib.decompress(path.read_bytes())), kind
    except zlib.error:  # a plain pickle never starts with 0x78 ('x'), but a text file may
        return path.open("rb"), ""


def pickle_refs(path: Path) -> PickleRefs:
    """The globals a pickle or joblib file names; BuildError when the file is not one."""
    with path.open("rb") as raw:
        head = raw.read(8)
    refs = PickleRefs()
    try:
        stream, refs.compression = _decompressed(path, head)
        with stream:
            _RefReader(stream, refs).load()
    except BuildError:
        raise
    except Exception as exc:  # any malformed stream: the pickle machine raises many kinds
        raise not_a_model(path, f"it is not a pickle ({type(exc).__name__}: {exc})",
                          "Save the fitted model with joblib.dump(model, path).") from exc
    if not refs.globals:
        raise not_a_model(path, "it is a pickle of plain data (no class or function in it)",
                          "Save the fitted estimator itself with joblib.dump(model, path).")
    return refs


def skops_refs(path: Path) -> PickleRefs:
    """The types a skops file's schema names (skops' own listing, read with the stdlib)."""
    refs = PickleRefs()
    try:
        with zipfile.ZipFile(path) as zf:
            schema = json.loads(zf.read("schema.json"))
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise not_a_model(path, f"it is not a skops archive ({type(exc).__name__}: {exc})",
                          "Save the model with skops.io.dump(model, path).") from exc

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("__module__"), str):
                refs.globals[(node["__module__"], str(node.get("__class__", "")))] = None
            for key, value in node.items():
                if key == "content" and isinstance(value, dict):
                    refs.attributes.update(k for k in value if isinstance(k, str))
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(schema)
    return refs


def not_a_model(path: Path, why: str, hint: str) -> BuildError:
    return BuildError(f"{path.name} is not a model lambdaserve can read: {why}", hint=hint)
