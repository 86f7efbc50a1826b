"""`restate-play --help` without rich.markdown and rich.traceback, and typer still able to use both."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
import restate_play.cli
from typer.testing import CliRunner
result = CliRunner().invoke(restate_play.cli.app, ["--help"])
assert result.exit_code == 0 and "restate-play list" in result.output, result.output
assert "rich.markdown" not in sys.modules and "rich.traceback" not in sys.modules, "imported for --help"
import typer.rich_utils as ru
from typer.models import DeveloperExceptionConfig
assert type(ru._make_rich_text(text="**bold**", markup_mode="markdown")).__module__ == "rich.markdown"
try:
    raise ValueError("boom")
except ValueError as err:
    assert type(ru.get_traceback(err, DeveloperExceptionConfig(), [])).__module__ == "rich.traceback"
import rich.markdown
assert rich.markdown.Markdown.__module__ == "rich.markdown" and hasattr(rich.markdown, "Heading")  # the real one
print("ok")
"""


def test_help_skips_markdown_and_traceback_until_used():
    proc = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr
