"""A throw-away PostgreSQL server for the record tests: Debian's `postgresql` (installed with
apt-get when run as root and missing, like Chromium for the browser tests), one cluster in a
temp dir listening only on a Unix socket, run as a non-root user, removed afterwards."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["postgres_server"]


def _bin_dir() -> Path | None:
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    if not dirs and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env, capture_output=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "postgresql"],
            check=False,
            env=env,
            capture_output=True,
        )
        dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    return Path(dirs[-1]) if dirs else None


def _as_user(cmd: list[str], user: str | None) -> list[str]:
    return ["runuser", "-u", user, "--", *cmd] if user else cmd


@contextmanager
def postgres_server() -> Iterator[str | None]:
    """Yield a SQLAlchemy URL of a fresh database, or None when PostgreSQL cannot be had."""
    bindir = _bin_dir()
    if bindir is None:
        yield None
        return
    user = None
    if os.geteuid() == 0:
        import pwd

        names = {p.pw_name for p in pwd.getpwall()}
        user = "postgres" if "postgres" in names else "nobody"
    root = Path(tempfile.mkdtemp(prefix="symstudio-pg-"))
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if user:
        shutil.chown(root, user)
        shutil.chown(sock, user)
    os.chmod(root, 0o755)
    try:
        subprocess.run(
            _as_user(
                [str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "tester"], user
            ),
            check=True,
            capture_output=True,
        )
        opts = f"-c listen_addresses='' -k {sock} -c fsync=off"
        subprocess.run(
            _as_user(
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    opts,
                    "-w",
                    "-l",
                    str(root / "log"),
                    "start",
                ],
                user,
            ),
            check=True,
            capture_output=True,
        )
        try:
            yield f"postgresql+psycopg://tester@/postgres?host={sock}"
        finally:
            subprocess.run(
                _as_user(
                    [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], user
                ),
                check=False,
                capture_output=True,
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)
