"""`make run`: resolve services, migrate, load seeds, then run the API and the worker until Ctrl-C.

Children run in their own process groups, so a terminal's Ctrl-C reaches them once, through us.
If one child dies the other is stopped and we exit non-zero, after reprinting its last output.
"""

from __future__ import annotations

import collections
import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import FrameType

import devservices

ROOT = devservices.ROOT
PYTHON = sys.executable
HEALTH_TIMEOUT = float(os.environ.get("TICKERTONE_RUN_HEALTH_TIMEOUT", "90"))
STOP_TIMEOUT = float(os.environ.get("TICKERTONE_RUN_STOP_TIMEOUT", "15"))
TAIL_LINES = 60
PR_SET_PDEATHSIG = 1


class RunError(RuntimeError):
    """Set-up failed; the message says which step."""


class ChildDied(RunError):
    def __init__(self, child: Child, message: str) -> None:
        super().__init__(message)
        self.child = child


def _say(message: str) -> None:
    print(f"run: {message}", flush=True)


def _step(name: str, args: Sequence[str], env: Mapping[str, str]) -> None:
    _say(f"{name}: {' '.join(args)}")
    result = subprocess.run([PYTHON, *args], cwd=ROOT, env=env, stdin=subprocess.DEVNULL, check=False)
    if result.returncode != 0:
        raise RunError(f"{name} failed with exit code {result.returncode}")


def _dev_api_key(env: Mapping[str, str]) -> str | None:
    """Create a development key when `python -m api keys` exists; None (with a note) otherwise."""
    probe = subprocess.run(
        [PYTHON, "-m", "api", "keys", "--help"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
        check=False,
    )
    if probe.returncode != 0:
        _say("no `python -m api keys` yet: skipping the development API key")
        return None
    name = "make-run-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    created = subprocess.run(
        [PYTHON, "-m", "api", "keys", "create", "--name", name, "--scopes", "read,ingest,score,admin"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    lines = [line.strip() for line in created.stdout.splitlines() if line.strip()]
    if created.returncode != 0 or not lines:
        sys.stderr.write(created.stderr)
        _say(f"could not create a development API key (exit code {created.returncode}); continuing")
        return None
    return lines[-1]


def _set_parent_death_signal() -> None:
    """In the child, before exec: die with us even if we are SIGKILLed (Linux only)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


@dataclass
class Child:
    name: str
    args: list[str]
    process: subprocess.Popen[str] | None = None
    tail: collections.deque[str] = field(default_factory=lambda: collections.deque(maxlen=TAIL_LINES))
    reader: threading.Thread | None = None

    def start(self, env: Mapping[str, str]) -> None:
        self.process = subprocess.Popen(
            [PYTHON, *self.args],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            bufsize=1,
            process_group=0,
            preexec_fn=_set_parent_death_signal if sys.platform == "linux" else None,
        )

    def follow(self) -> None:
        """Copy the child's output to ours, prefixed, keeping the last lines for a post-mortem."""
        assert self.process is not None and self.process.stdout is not None
        stream = self.process.stdout

        def pump() -> None:
            for line in stream:
                self.tail.append(line)
                sys.stdout.write(f"{self.name:>6} | {line}")
                sys.stdout.flush()

        self.reader = threading.Thread(target=pump, name=f"follow-{self.name}", daemon=True)
        self.reader.start()

    def returncode(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def signal(self, sig: signal.Signals) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                pass

    def wait(self, deadline: float) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _say(f"{self.name} did not stop in {STOP_TIMEOUT:.0f} s: killing it")
            self.signal(signal.SIGKILL)
            self.process.wait()
        if self.reader is not None:
            self.reader.join(timeout=2)


def _stop(children: Sequence[Child], sig: signal.Signals) -> None:
    for child in children:
        child.signal(sig)
    deadline = time.monotonic() + STOP_TIMEOUT
    for child in children:
        child.wait(deadline)


def _exit_code(returncode: int) -> int:
    if returncode < 0:
        return 128 - returncode  # killed by signal N: the shell's 128+N
    return returncode or 1  # an exit 0 is still unexpected while we are serving


def _port_in_use(host: str, port: int) -> bool:
    try:
        with socket.create_connection((_probe_host(host), port), timeout=1):
            return True
    except OSError:
        return False


def _probe_host(host: str) -> str:
    return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)


def _base_url(host: str, port: int) -> str:
    probe = _probe_host(host)
    return f"http://[{probe}]:{port}" if ":" in probe else f"http://{probe}:{port}"


def _wait_healthy(url: str, children: Sequence[Child], received: Sequence[signal.Signals]) -> bool:
    """True once url answers 200; False on a signal; RunError when a child dies or time runs out."""
    deadline = time.monotonic() + HEALTH_TIMEOUT
    while time.monotonic() < deadline:
        if received:
            return False
        for child in children:
            if child.returncode() is not None:
                raise ChildDied(
                    child, f"{child.name} exited with code {child.returncode()} before {url} answered"
                )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    raise RunError(f"{url} did not answer 200 within {HEALTH_TIMEOUT:.0f} s")


def _post_mortem(child: Child) -> None:
    if child.reader is not None:
        child.reader.join(timeout=2)
    print(f"\n--- last output of {child.name} ---", file=sys.stderr)
    sys.stderr.write("".join(child.tail) or "(no output)\n")
    print(f"--- end of {child.name} output ---", file=sys.stderr, flush=True)


def _banner(base: str, key: str | None, services: devservices.Services, env: Mapping[str, str]) -> None:
    rows = [
        ("API", base),
        ("GraphQL", f"{base}/graphql"),
        ("REST docs", f"{base}/docs"),
        ("OpenAPI", f"{base}/openapi.yaml"),
        ("Health", f"{base}/healthz"),
        ("API key", key or "(none: `python -m api keys` is not there yet)"),
        ("Postgres", services.database.detail),
        ("Redis", services.redis.detail),
    ]
    width = max(len(label) for label, _ in rows)
    lines = [f"Tickertone is running ({env['TICKERTONE_ENV']})", ""]
    lines += [f"  {label:<{width}}  {value}" for label, value in rows]
    lines += ["", "Ctrl-C stops the API and the worker."]
    if "embedded" in (services.database.source, services.redis.source):
        lines.append("Embedded services keep running for the next run; `make services-stop` stops them.")
    rule = "=" * max(len(line) for line in lines)
    print("\n".join(["", rule, *lines, rule, ""]), flush=True)


def run() -> int:
    env = dict(os.environ)
    env.setdefault("TICKERTONE_ENV", "development")
    env.setdefault("HOST", "127.0.0.1")
    env.setdefault("PORT", "8000")
    env["PYTHONUNBUFFERED"] = "1"
    host, port = env["HOST"], int(env["PORT"])
    if _port_in_use(host, port):
        raise RunError(f"something already listens on {host}:{port}; stop it or set PORT=...")

    services = devservices.resolve()
    env.update(services.env())
    _say(f"DATABASE_URL: {services.database.detail}")
    _say(f"REDIS_URL: {services.redis.detail}")
    _step("migrate", ["-m", "db", "migrate"], env)
    _step("seeds", ["-m", "seeds", "load"], env)
    # The seeds bypass the API, so nothing cached by an earlier run may outlive what they changed.
    _step("cache", ["-m", "api", "cache", "invalidate"], env)
    key = _dev_api_key(env)

    children = [Child("api", ["-m", "tickertone_app", "serve"])]
    if (ROOT / "worker" / "__main__.py").exists():
        children.append(Child("worker", ["-m", "worker"]))
    else:
        _say("no worker/__main__.py yet: running the API alone")

    received: list[signal.Signals] = []

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        received.append(signal.Signals(signum))

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    # Start every child before any reader thread: preexec_fn is unsafe once threads run.
    for child in children:
        child.start(env)
    for child in children:
        child.follow()

    base = _base_url(host, port)
    try:
        healthy = _wait_healthy(f"{base}/healthz", children, received)
    except RunError as exc:
        _stop(children, signal.SIGTERM)
        if isinstance(exc, ChildDied):
            _post_mortem(exc.child)
        raise
    if healthy:
        _banner(base, key, services, env)

    while not received:
        for child in children:
            code = child.returncode()
            if code is not None:
                others = [c for c in children if c is not child]
                _say(f"{child.name} exited with code {code}; stopping {', '.join(c.name for c in others)}")
                _stop(others, signal.SIGTERM)
                _post_mortem(child)
                return _exit_code(code)
        time.sleep(0.2)
    _say(f"received {received[0].name}: stopping")
    _stop(children, received[0])
    _say("stopped")
    return 0


def main() -> int:
    try:
        return run()
    except RunError as exc:
        _say(f"error: {exc}")
        return 1
    except devservices.DevServicesError as exc:
        _say(f"error: {exc}")
        return 1
    except KeyboardInterrupt:
        _say("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
