"""A throwaway PostgreSQL server: initdb + pg_ctl in a temporary directory, gone afterwards.

The server binaries come from ``$POSTGRES_BIN``, ``pg_config --bindir`` or the newest
``/usr/lib/postgresql/*/bin``. ``initdb`` refuses to run as root, so as root every server
command runs as the ``postgres`` system user (``runuser``), which must own the data
directory. Clients connect over TCP on 127.0.0.1 with ``trust`` authentication.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
import typing as t
from pathlib import Path

if t.TYPE_CHECKING:
    from typing_extensions import Self

SERVER_USER = "postgres"  # the system user servers run as when we are root
SUPERUSER = "postgres"  # the database superuser initdb creates


def find_bindir() -> Path:
    """The directory holding initdb, pg_ctl and psql.

    Raises:
        FileNotFoundError: When no PostgreSQL server binaries are installed.
    """
    candidates: list[Path] = []
    if os.environ.get("POSTGRES_BIN"):
        candidates.append(Path(os.environ["POSTGRES_BIN"]))
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(subprocess.CalledProcessError, OSError):
            bindir = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True
            ).stdout.strip()
            candidates.append(Path(bindir))
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0,
        reverse=True,
    )
    candidates += versions
    for candidate in candidates:
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    msg = "no PostgreSQL server binaries (initdb, pg_ctl): set POSTGRES_BIN"
    raise FileNotFoundError(msg)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TemporaryPostgres:
    """One PostgreSQL server for the life of a ``with`` block."""

    def __init__(self, database: str = "warehouse") -> None:
        """Choose binaries, port and directories; ``start`` runs the server."""
        self.bindir = find_bindir()
        self.port = free_port()
        self.host = "127.0.0.1"
        self.user = SUPERUSER
        self.database = database
        self._as_root = os.geteuid() == 0
        self._root = Path(tempfile.mkdtemp(prefix="tap-homele-pg-"))
        self.data = self._root / "data"
        self.log = self._root / "server.log"

    def _server_command(self, *args: str) -> list[str]:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self._as_root:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        return command

    def _run(self, *args: str) -> None:
        subprocess.run(self._server_command(*args), check=True, capture_output=True, timeout=120)

    def start(self) -> Self:
        """initdb, start, create the database; wait until it accepts connections."""
        if self._as_root:
            shutil.chown(self._root, SERVER_USER)
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            self.user,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-sync",
        )
        options = (
            f"-p {self.port} -c listen_addresses={self.host} -k {self._root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        try:
            self._run(
                "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start"
            )
        except subprocess.CalledProcessError:
            log = self.log.read_text() if self.log.exists() else ""
            msg = f"PostgreSQL did not start:\n{log}"
            raise RuntimeError(msg) from None
        self.psql("postgres", f'CREATE DATABASE "{self.database}"')
        return self

    def stop(self) -> None:
        """Stop the server at once and remove every file it wrote."""
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self._root, ignore_errors=True)

    def __enter__(self) -> Self:
        """Start the server."""
        return self.start()

    def __exit__(self, *exc: object) -> None:
        """Stop the server."""
        self.stop()

    @property
    def url(self) -> str:
        """A libpq URL of the database."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.database}"

    def psql(self, database: str, sql: str) -> str:
        """Run SQL with psql as the superuser and return what it printed (unaligned)."""
        completed = subprocess.run(
            [
                str(self.bindir / "psql"),
                "--no-psqlrc",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                self.host,
                "-p",
                str(self.port),
                "-U",
                self.user,
                "-d",
                database,
                "-At",
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if completed.returncode != 0:
            msg = f"psql failed ({completed.returncode}): {completed.stderr.strip()}\n{sql}"
            raise RuntimeError(msg)
        return completed.stdout

    def rows(self, sql: str) -> list[dict[str, t.Any]]:
        """The rows of a query, as dicts (through ``json_agg``)."""
        text = self.psql(self.database, f"SELECT coalesce(json_agg(q), '[]') FROM ({sql}) AS q")
        rows: list[dict[str, t.Any]] = json.loads(text)
        return rows

    def scalar(self, sql: str) -> t.Any:
        """The single value of a one-row, one-column query."""
        (row,) = self.rows(sql)
        (value,) = row.values()
        return value
