"""Check 1a: under sudo, docker/sam/boto3 read root's AWS credentials, not the user's."""

from __future__ import annotations

import pwd
from pathlib import Path

from lambdaserve.doctor.context import DoctorContext
from lambdaserve.doctor.finding import Check, Finding, error, ok, warning

FILES = ("credentials", "config")


def _user_home(user: str) -> Path:
    try:
        return Path(pwd.getpwnam(user).pw_dir)
    except KeyError:
        return Path("/home") / user


def _aws_files(home: Path) -> dict[str, bytes]:
    return {name: (home / ".aws" / name).read_bytes() for name in FILES if (home / ".aws" / name).is_file()}


def run(ctx: DoctorContext) -> list[Finding]:
    user = ctx.environ.get("SUDO_USER")
    if ctx.euid != 0 or not user:
        return [ok("not running under sudo")]
    theirs, roots = _aws_files(_user_home(user)), _aws_files(ctx.root_home)
    fix = (f"Run lambdaserve (and docker, sam) as {user}, without sudo; add {user} to the docker group "
           "if needed.")
    if theirs != roots:
        return [error(f"running under sudo (SUDO_USER={user}): AWS credentials are read from "
                      f"{ctx.root_home}/.aws, which differs from {user}'s. Docker logins are root's too: "
                      "the classic 'no basic auth credentials'", fix)]
    return [warning(f"running under sudo (SUDO_USER={user}): root's AWS files match {user}'s, but "
                    "docker logins and caches are root's", fix)]


CHECK = Check("sudo", "environment", "docker/sam under sudo reading root's AWS credentials", run)
