"""Find the restate-server binary, or provision the pinned version from the npm registry once.

Order: $RESTATE_SERVER_BIN, then `restate-server` on PATH (when it is the pinned version and not
npm's node wrapper), then the per-user cache, then a one-time `npm install` into that cache.
"""

from __future__ import annotations

import fcntl
import os
import platform
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from restate_play import RESTATE_SERVER_VERSION
from restate_play.errors import PlayError
from restate_play.paths import cache_dir

ENV_VAR = "RESTATE_SERVER_BIN"

_SET_BIN_HINT = (
    f"Install restate-server {RESTATE_SERVER_VERSION} yourself and point the playground at it:\n"
    f"  export {ENV_VAR}=/path/to/restate-server"
)


def npm_package(tool: str = "restate-server") -> str:
    machine = platform.machine().lower()
    arch = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(machine)
    if platform.system() != "Linux" or arch is None:
        raise PlayError(
            f"No prebuilt restate-server package is known for {platform.system()} {machine}.",
            _SET_BIN_HINT,
        )
    return f"@restatedev/{tool}-linux-{arch}"


def cached_binary(tool: str = "restate-server") -> Path:
    """Where the npm package of `tool` (restate-server, or restatectl for clusters) is cached."""
    pkg = npm_package(tool)
    return cache_dir() / f"{tool}-{RESTATE_SERVER_VERSION}" / "node_modules" / pkg / "bin" / tool


def _is_node_wrapper(path: Path) -> bool:
    # npm's bin/restate-server is a JS shim that spawns the real binary: killing it orphans the server.
    try:
        with open(path, "rb") as f:
            head = f.read(64)
    except OSError:
        return True
    return head.startswith(b"#!") and b"node" in head


def binary_version(path: Path) -> str | None:
    try:
        out = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for token in out.split():
        if token[:1].isdigit():
            return token
    return None


def find_binary() -> Path | None:
    explicit = os.environ.get(ENV_VAR)
    if explicit:
        path = Path(explicit).expanduser()
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise PlayError(f"{ENV_VAR}={explicit} is not an executable file.", _SET_BIN_HINT)
        return path
    on_path = shutil.which("restate-server")
    if on_path and not _is_node_wrapper(Path(on_path)) and binary_version(Path(on_path)) == RESTATE_SERVER_VERSION:
        return Path(on_path)
    cached = cached_binary()
    return cached if cached.is_file() else None


def provision(status: Callable[[str], None] = lambda _msg: None, tool: str = "restate-server") -> Path:
    """Install the pinned server (or restatectl) from the npm registry into the per-user cache (once)."""
    target = cached_binary(tool)
    root = target.parents[4]  # .../restate-server-<version>
    root.parent.mkdir(parents=True, exist_ok=True)
    lock_path = root.parent / f".{root.name}.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # concurrent first runs (e.g. parallel tests) install once
        if target.is_file():
            return target
        npm = shutil.which("npm")
        if npm is None:
            raise PlayError(
                f"{tool} {RESTATE_SERVER_VERSION} is not installed and npm is not available to fetch it.",
                "Install Node.js/npm (e.g. `apt-get install npm`) and run again, or:\n" + _SET_BIN_HINT,
            )
        spec = f"{npm_package(tool)}@{RESTATE_SERVER_VERSION}"
        status(f"Downloading {tool} {RESTATE_SERVER_VERSION} from the npm registry ({spec}, once)…")
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=root.parent))
        try:
            proc = subprocess.run(
                [
                    npm,
                    "install",
                    "--prefix",
                    str(staging),
                    "--ignore-scripts",
                    "--no-audit",
                    "--no-fund",
                    "--no-save",
                    "--loglevel",
                    "error",
                    spec,
                ],
                capture_output=True,
                text=True,
                timeout=600,
            )
            staged = staging / target.relative_to(root)
            if proc.returncode != 0 or not staged.is_file():
                detail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
                raise PlayError(
                    f"Could not download {spec} with npm (exit {proc.returncode}): " + " ".join(detail),
                    "Check the network or npm registry settings, or:\n" + _SET_BIN_HINT,
                )
            staged.chmod(0o755)
            if root.exists():
                shutil.rmtree(root)
            staging.rename(root)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        status(f"{tool} {RESTATE_SERVER_VERSION} installed in {root}")
        return target


def ensure_binary(status: Callable[[str], None] = lambda _msg: None) -> Path:
    return find_binary() or provision(status)


def ensure_restatectl(status: Callable[[str], None] = lambda _msg: None) -> Path:
    """restatectl (cluster status over the node fabric): $RESTATECTL_BIN, else the cached npm package."""
    explicit = os.environ.get("RESTATECTL_BIN")
    if explicit:
        return Path(explicit).expanduser()
    cached = cached_binary("restatectl")
    return cached if cached.is_file() else provision(status, "restatectl")
