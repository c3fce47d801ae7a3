"""Loads libgomp.so.1 as lib_lightgbm.so would (by name) and says which file the loader mapped."""

import ctypes
import os


def handler(event, context):
    try:
        ctypes.CDLL("libgomp.so.1")
    except OSError as exc:
        return {"error": str(exc)}
    with open("/proc/self/maps") as maps:
        mapped = sorted({line.split()[-1] for line in maps if "gomp" in line})
    return {"mapped": mapped, "ld_library_path": os.environ.get("LD_LIBRARY_PATH", "")}
