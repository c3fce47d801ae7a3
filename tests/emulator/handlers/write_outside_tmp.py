"""Reports which writes the filesystem allows and whether /dev/shm exists."""

import errno
import os


def _try_write(path, remove=True):
    try:
        with open(path, "w") as f:
            f.write("x")
        if remove:
            os.remove(path)
        return "ok"
    except OSError as exc:
        return errno.errorcode.get(exc.errno or 0, str(exc.errno))


def handler(event, context):
    stat = os.statvfs("/tmp")
    return {
        "task_root": _try_write(os.path.join(os.environ["LAMBDA_TASK_ROOT"], "written.txt")),
        "etc": _try_write("/etc/lambdaserve-test"),
        "tmp": _try_write("/tmp/lambdaserve-test"),
        "tmp_mb": stat.f_blocks * stat.f_frsize // (1024 * 1024),
        "dev_shm": os.path.exists("/dev/shm"),
        "dev_null": _try_write("/dev/null", remove=False),
    }
