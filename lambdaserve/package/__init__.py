"""A function's deployable package: a zip or a daemonless container image.

zip/       the reproducible zip (build, deterministic writer, extraction to run it locally)
deps/      the dependency layer: pip for the target, trims, .pyc, target interpreters
image/     the image: base by reference, layers, config, Dockerfile export, unpacking
registry/  the Registry HTTP API v2: auth, chunked uploads, push
sources.py what goes in besides dependencies; process.py the injectable command runner
"""

from __future__ import annotations
