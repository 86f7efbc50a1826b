"""Finding and provisioning restate-server: the errors say how to get it or set RESTATE_SERVER_BIN."""

import os
import stat

import pytest

from restate_play.errors import PlayError
from restate_play.sandbox import binary


@pytest.fixture
def no_server_anywhere(tmp_path, monkeypatch):
    monkeypatch.delenv(binary.ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))  # no restate-server, no npm
    return tmp_path


def test_missing_npm_says_how_to_install_or_point_at_a_binary(no_server_anywhere):
    assert binary.find_binary() is None
    with pytest.raises(PlayError) as info:
        binary.ensure_binary()
    text = str(info.value)
    assert "npm is not available" in text and "RESTATE_SERVER_BIN" in text


def test_npm_failure_is_reported_with_its_output(no_server_anywhere):
    fake_bin = no_server_anywhere / "empty-bin"
    fake_bin.mkdir()
    npm = fake_bin / "npm"
    npm.write_text("#!/bin/sh\necho 'npm ERR! network request failed' >&2\nexit 1\n")
    npm.chmod(npm.stat().st_mode | stat.S_IEXEC)
    with pytest.raises(PlayError) as info:
        binary.ensure_binary()
    text = str(info.value)
    assert "network request failed" in text and "RESTATE_SERVER_BIN" in text
    # Nothing half-installed is left to be mistaken for a server next time.
    assert binary.find_binary() is None


def test_explicit_binary_must_be_executable(tmp_path, monkeypatch):
    monkeypatch.setenv(binary.ENV_VAR, str(tmp_path / "nope"))
    with pytest.raises(PlayError, match="not an executable file"):
        binary.find_binary()
    real = tmp_path / "restate-server"
    real.write_text("#!/bin/sh\n")
    real.chmod(0o755)
    monkeypatch.setenv(binary.ENV_VAR, str(real))
    assert binary.find_binary() == real


def test_node_wrapper_on_path_is_not_used(tmp_path, monkeypatch):
    monkeypatch.delenv(binary.ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    wrapper = tmp_path / "bin" / "restate-server"
    wrapper.parent.mkdir()
    wrapper.write_text("#!/usr/bin/env node\nrequire('./real')\n")
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", str(wrapper.parent) + os.pathsep + "/usr/bin")
    assert binary.find_binary() is None
