"""Lambda's quotas, in one place: every layer (the runtime included) imports them from here.

Stdlib-only and import-free, so the function's cold start pays nothing for it. Sizes are
bytes; AWS states payload limits in binary megabytes and package sizes in decimal ones.
"""

from __future__ import annotations

from typing import Final

# Synchronous invoke: a request over 6 MB is refused with 413 RequestEntityTooLargeException.
SYNC_REQUEST_BYTES: Final = 6 * 1024 * 1024  # 6291456
# Lambda's error names 6291556 bytes (6 MB + 100), and that is the response size it enforces.
SYNC_RESPONSE_BYTES: Final = SYNC_REQUEST_BYTES + 100
ASYNC_REQUEST_BYTES: Final = 256 * 1024  # an Event (asynchronous) invoke's payload

MB: Final = 1_000_000  # the package quotas are decimal megabytes
ZIP_UPLOAD_BYTES: Final = 50 * MB  # a zip uploaded directly; above it the zip must go through S3
UNZIPPED_BYTES: Final = 250 * MB  # the zip's contents, layers included
IMAGE_BYTES: Final = 10_000 * MB  # a container image, uncompressed

MEMORY_MIN_MB: Final = 128
MEMORY_MAX_MB: Final = 10240
MB_PER_VCPU: Final = 1769  # 1,769 MB = one vCPU of CPU time, linearly
