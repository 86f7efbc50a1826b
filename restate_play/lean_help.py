"""Keeps `restate-play --help` from importing what it never draws.

typer formats help with `typer.rich_utils`, which imports `rich.markdown` (markdown-it) and
`rich.traceback` (pygments) at the top: ~75 ms of a ~330 ms `--help` on the 2-core machine, for
markdown help text (ours is rich markup) and pretty tracebacks (drawn only on a crash). Here
typer's module is imported with two stand-ins for those classes; a stand-in imports the real
class the first time it is used (called, or an attribute read), so nothing changes but when the
import happens. Later imports of `rich.markdown` anywhere get the real module.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any


class _Deferred(type):
    """Metaclass of a stand-in: attributes come from the real class, imported on first use."""

    _module: str
    _name: str

    def real(cls) -> type:
        return getattr(importlib.import_module(cls._module), cls._name)

    def __getattr__(cls, attr: str) -> Any:
        return getattr(cls.real(), attr)

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return cls.real()(*args, **kwargs)


def _stand_in(module: str, name: str) -> type:
    return _Deferred(name, (), {"_module": module, "_name": name})


def import_typer_help() -> None:
    """Import typer.rich_utils without rich.markdown and rich.traceback (no-op when already done)."""
    if "typer.rich_utils" in sys.modules:
        return
    lent: dict[str, types.ModuleType] = {}
    for module, name in (("rich.markdown", "Markdown"), ("rich.traceback", "Traceback")):
        if module not in sys.modules:
            stub = types.ModuleType(module)
            setattr(stub, name, _stand_in(module, name))
            sys.modules[module] = lent[module] = stub
    try:
        importlib.import_module("typer.rich_utils")
    finally:
        for module, stub in lent.items():
            if sys.modules.get(module) is stub:
                del sys.modules[module]  # the next `import rich.markdown` loads the real one
