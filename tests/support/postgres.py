"""A throwaway PostgreSQL server for tests.

``postgres_server()`` yields :class:`PostgresSettings` for a fresh, empty database and removes it
afterwards. Where the server comes from:

* ``TEST_POSTGRES_URL`` (``postgresql://user:password@host:port/database``) names an existing
  server: a database with a unique name is created on it (the user needs ``CREATEDB``) and
  dropped at the end; nothing else on the server is touched.
* otherwise Debian's server binaries (``/usr/lib/postgresql/<version>/bin``, the ``postgresql``
  package that ``make test`` installs when they are missing) run ``initdb`` into a temporary
  folder and start a server on a free port of 127.0.0.1 with its unix socket in that folder.
  PostgreSQL refuses to run as root: as root, the server runs as the ``postgres`` system user
  that Debian's package creates. The server is stopped and its folder removed at the end.

Every wait is bounded; a server that cannot be found or started raises
:class:`PostgresUnavailable` with the reason (and the server's log).
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import psycopg2
import pytest

#: the setting that names an existing server to use instead of starting one
URL_SETTING = "TEST_POSTGRES_URL"
#: the system user the server runs as when the tests run as root (Debian's package creates it)
SERVER_USER = "postgres"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server could be found or started."""


@dataclass(frozen=True)
class PostgresSettings:
    host: str
    port: int
    user: str
    password: str
    dbname: str

    @property
    def url(self) -> str:
        auth = quote(self.user, safe="")
        if self.password:
            auth += ":" + quote(self.password, safe="")
        return f"postgresql://{auth}@{self.host}:{self.port}/{quote(self.dbname, safe='')}"

    def env(self) -> dict[str, str]:
        """The libpq settings dbt's ``postgres`` target and the warehouse's loader read."""
        return {
            "PGHOST": self.host,
            "PGPORT": str(self.port),
            "PGUSER": self.user,
            "PGPASSWORD": self.password,
            "PGDATABASE": self.dbname,
            "PGTZ": "UTC",
            "WAREHOUSE_POSTGRES_URL": self.url,
        }

    def connect(self, dbname: str | None = None, timeout: int = 5):
        return psycopg2.connect(
            host=self.host, port=self.port, user=self.user, password=self.password,
            dbname=dbname or self.dbname, connect_timeout=timeout, options="-c TimeZone=UTC",
        )  # fmt: skip


def read_table(settings: PostgresSettings, relation: str) -> list[dict]:
    """Every row of a relation (``certified.funnel_daily``) as dicts."""
    with closing(settings.connect()) as con, con.cursor() as cursor:
        cursor.execute(f"select * from {relation}")
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def server_binaries() -> Path | None:
    """The newest Debian PostgreSQL server's bin folder, else one on PATH; None when absent."""
    found = []
    for initdb in glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        version = Path(initdb).parent.parent.name
        if Path(initdb).with_name("postgres").exists():
            found.append((int(version) if version.isdigit() else 0, Path(initdb).parent))
    if found:
        return max(found)[1]
    initdb, postgres = shutil.which("initdb"), shutil.which("postgres")
    if initdb and postgres and Path(initdb).parent == Path(postgres).parent:
        return Path(initdb).parent
    return None


def under_ci() -> bool:
    """Whether this run is CI's (``CI`` set), where a Postgres test must run, never skip."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@contextmanager
def postgres_for_test(what: str) -> Iterator[PostgresSettings]:
    """A fresh database for a test (:func:`postgres_server`). A machine without a server
    skips the test with the reason; under CI (:func:`under_ci`) the test fails instead: the
    portability promise is checked on every CI run."""
    with ExitStack() as stack:
        try:
            settings = stack.enter_context(postgres_server())
        except PostgresUnavailable as e:
            message = f"no PostgreSQL server for {what}: {e}"
            if under_ci():
                pytest.fail(f"{message}\n(under CI this test must run: it never skips)")
            pytest.skip(message)
        yield settings


@contextmanager
def postgres_server(start_timeout: float = 60.0) -> Iterator[PostgresSettings]:
    """A fresh database on the server named by ``TEST_POSTGRES_URL``, else on a throwaway one."""
    url = os.environ.get(URL_SETTING, "").strip()
    if url:
        with _database_on(_parse_url(url)) as settings:
            yield settings
    else:
        with _throwaway_server(start_timeout) as server, _database_on(server) as settings:
            yield settings


def _parse_url(url: str) -> PostgresSettings:
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql") or not parts.hostname:
        raise PostgresUnavailable(f"{URL_SETTING}={url!r} is not a postgresql://… URL")
    return PostgresSettings(
        host=parts.hostname, port=parts.port or 5432,
        user=unquote(parts.username or "postgres"), password=unquote(parts.password or ""),
        dbname=unquote(parts.path.lstrip("/")) or "postgres",
    )  # fmt: skip


@contextmanager
def _database_on(server: PostgresSettings) -> Iterator[PostgresSettings]:
    """Create a uniquely named database on the server, yield it, drop it."""
    name = f"marketing_test_{secrets.token_hex(4)}"
    try:
        admin = server.connect()
    except psycopg2.OperationalError as e:
        raise PostgresUnavailable(f"cannot connect to {server.url}: {e}") from e
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f"create database \"{name}\" template template0 encoding 'UTF8'")
        yield PostgresSettings(server.host, server.port, server.user, server.password, name)
    finally:
        try:
            with admin.cursor() as cursor:
                cursor.execute(f'drop database if exists "{name}" with (force)')
        finally:
            admin.close()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user() -> dict:
    """subprocess arguments that drop root to the server user (PostgreSQL refuses root)."""
    if os.geteuid() != 0:
        return {}
    try:
        account = pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise PostgresUnavailable(
            f"running as root and there is no {SERVER_USER!r} system user to run PostgreSQL "
            "as (Debian's postgresql package creates it: apt-get install postgresql)"
        ) from None
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


def _log_tail(log: Path, chars: int = 3000) -> str:
    try:
        return log.read_text(errors="replace")[-chars:]
    except OSError:
        return "(no server log)"


@contextmanager
def _throwaway_server(start_timeout: float) -> Iterator[PostgresSettings]:
    bindir = server_binaries()
    if bindir is None:
        raise PostgresUnavailable(
            "no PostgreSQL server binaries (looked in /usr/lib/postgresql/*/bin and on PATH): "
            "install Debian's package (`make test` does: apt-get install postgresql) or name a "
            f"server with {URL_SETTING}=postgresql://user:password@host:port/database"
        )
    drop = _as_server_user()
    # a folder of its own in the system temp dir: pytest's are private to root
    root = Path(tempfile.mkdtemp(prefix="pg-test-"))
    data, sockets, log = root / "data", root / "socket", root / "server.log"
    sockets.mkdir()
    if drop:
        for path in (root, sockets):
            os.chown(path, drop["user"], drop["group"])
    # a password over TCP, as on a real server (and dlt's Postgres destination requires one)
    password = secrets.token_hex(12)
    pwfile = root / "pwfile"
    pwfile.write_text(password + "\n")
    if drop:
        os.chown(pwfile, drop["user"], drop["group"])
    process = None
    try:
        initdb = subprocess.run(
            [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--pwfile", str(pwfile),
             "--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C",
             "--no-sync"],
            capture_output=True, text=True, timeout=120, cwd=root, **drop,
        )  # fmt: skip
        if initdb.returncode != 0:
            raise PostgresUnavailable(
                f"initdb ({bindir}) failed:\n{initdb.stdout[-2000:]}\n{initdb.stderr[-2000:]}"
            )
        port = free_port()
        with open(log, "wb") as log_file:
            process = subprocess.Popen(
                [str(bindir / "postgres"), "-D", str(data), "-p", str(port),
                 "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={sockets}",
                 "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                 "-c", "timezone=UTC", "-c", "max_connections=50"],
                stdout=log_file, stderr=subprocess.STDOUT, cwd=root, **drop,
            )  # fmt: skip
        settings = PostgresSettings("127.0.0.1", port, "postgres", password, "postgres")
        deadline = time.monotonic() + start_timeout
        while True:
            if process.poll() is not None:
                raise PostgresUnavailable(
                    f"the PostgreSQL server exited with {process.returncode}:\n{_log_tail(log)}"
                )
            try:
                settings.connect(timeout=2).close()
                break
            except psycopg2.OperationalError as e:
                if time.monotonic() > deadline:
                    raise PostgresUnavailable(
                        f"the PostgreSQL server did not accept connections on port {port} "
                        f"within {start_timeout:.0f}s ({e}):\n{_log_tail(log)}"
                    ) from e
                time.sleep(0.2)
        yield settings
    finally:
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)  # fast shutdown
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        shutil.rmtree(root, ignore_errors=True)
