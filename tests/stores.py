"""A real PostgreSQL and Redis for the tests, started by the project's own script
(scripts/stores.sh: Debian's packages, installed when missing) on free loopback ports, their
files in a folder of the session, stopped and removed at the end."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bot.composition import PROJECT_DIR
from engagement.storage.migrate import upgrade

SCRIPT = PROJECT_DIR / "scripts" / "stores.sh"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Stores:
    folder: Path
    pg_port: int
    redis_port: int
    database_url: str = ""  # the server's "fusion" database
    redis_url: str = ""
    template_url: str = ""  # migrated once; new_database() copies it

    @classmethod
    def start(cls) -> Stores:
        # PostgreSQL runs as "postgres" when we are root: the folder must be reachable by it
        folder = Path(tempfile.mkdtemp(prefix="fusion-stores-", dir="/tmp"))
        folder.chmod(0o755)
        stores = cls(folder, free_port(), free_port())
        exports = stores.script("start").stdout
        settings = dict(
            line.removeprefix("export ").split("=", 1) for line in exports.splitlines()
            if line.startswith("export ")
        )  # fmt: skip
        stores.database_url = settings["FUSION_DATABASE_URL"]
        stores.redis_url = settings["FUSION_REDIS_URL"]
        stores.template_url = stores._create("fusion_template")
        upgrade(stores.template_url)
        return stores

    def script(self, command: str) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ, "FUSION_PG_PORT": str(self.pg_port),
            "FUSION_REDIS_PORT": str(self.redis_port),
            # the tests' clusters are thrown away: no need to wait for the disk
            "FUSION_PG_FSYNC": "off",
        }  # fmt: skip
        return subprocess.run(
            [str(SCRIPT), command, str(self.folder)], env=env, check=True, text=True,
            capture_output=True, timeout=600,
        )  # fmt: skip

    def new_database(self) -> str:
        """A fresh engagement database at the latest migration (a copy of a template)."""
        return self._create(f"t_{uuid.uuid4().hex[:12]}", template="fusion_template")

    def empty_database(self) -> str:
        """A database without any table: a tracker store no Rasa server has written to yet."""
        return self._create(f"e_{uuid.uuid4().hex[:12]}")

    def _create(self, name: str, template: str | None = None) -> str:
        url = make_url(self.database_url)
        server = sa.create_engine(
            url.set(drivername="postgresql+psycopg2", database="postgres"),
            isolation_level="AUTOCOMMIT",
        )
        with server.connect() as conn:
            copy = f" TEMPLATE {template}" if template else ""
            conn.execute(sa.text(f"CREATE DATABASE {name}{copy}"))
        server.dispose()
        return str(url.set(database=name).render_as_string(hide_password=False))

    def stop(self) -> None:
        self.script("stop")
        shutil.rmtree(self.folder, ignore_errors=True)
