"""A PostgreSQL cluster of a bench's own: initdb under bench/out/, a free port, its settings.

Never the server the tests use, so a bench may stop it hard (faults.py) or
load millions of rows into it (scale.py) and harm nothing.
"""

import glob
import shutil
import subprocess
from pathlib import Path

from bench._nginx import free_port

PG_BIN = Path(sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1])


class Postgres:
    """A cluster of our own, run as the postgres user (initdb refuses root)."""

    def __init__(self, folder, database, settings=None):
        self.dir = Path(folder)
        self.settings = settings or {}
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        shutil.chown(self.dir, "postgres", "postgres")
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/{database}"
        self._as_postgres(
            [PG_BIN / "initdb", "-D", self.dir / "data", "-U", "postgres", "--auth=trust"]
        )
        self.start()
        self._as_postgres([PG_BIN / "createdb", "-h", "127.0.0.1", "-p", str(self.port), database])

    def _as_postgres(self, command):
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *map(str, command)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def start(self):
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        options += "".join(f" -c {name}={value}" for name, value in self.settings.items())
        self._as_postgres(
            [PG_BIN / "pg_ctl", "-D", self.dir / "data", "-l", self.dir / "log", "-w",
             "-o", options, "start"]
        )  # fmt: skip

    def stop_hard(self):
        """`immediate`: every backend killed, no checkpoint; crash recovery on the next start."""
        self._as_postgres([PG_BIN / "pg_ctl", "-D", self.dir / "data", "-m", "immediate", "stop"])

    def stop(self):
        self._as_postgres([PG_BIN / "pg_ctl", "-D", self.dir / "data", "-m", "fast", "stop"])
