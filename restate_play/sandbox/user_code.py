"""Inside the service process: import the user's code from exactly where they named it, find its services.

The process runs with `python -P` (no working directory on sys.path): restate_play always comes
from the installed package. The user's directory is put on sys.path only after restate_play is
imported, so their sibling modules import, but a `restate_play/` folder beside them cannot take
the playground's place (an imported package's submodules are found through its own __path__).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

import restate

SERVICE_TYPES = (restate.Service, restate.VirtualObject, restate.Workflow)


class TargetError(Exception):
    """The user's code cannot be served; the message says why and what to do."""


def import_target(root: Path, file: Path | None, module: str | None) -> ModuleType:
    sys.path.insert(0, str(root))
    try:
        if file is not None:
            return _import_file(file)
        return importlib.import_module(str(module))
    except TargetError:
        raise
    except BaseException as err:  # SyntaxError, ImportError, a handler module raising at import…
        raise TargetError(
            f"importing {file or module} failed: {type(err).__name__}: {err}\n{_user_frames(err)}"
        ) from None


def _user_frames(err: BaseException) -> str:
    """The traceback without the import machinery's frames: what the user's code did."""
    tb = traceback.TracebackException.from_exception(err)
    tb.stack = traceback.StackSummary.from_list(
        [f for f in tb.stack if f.filename != __file__ and not f.filename.startswith("<frozen")]
    )
    return "".join(list(tb.format())[-12:]).rstrip()


def _import_file(file: Path) -> ModuleType:
    # The file's own name, unless a module of that name is already loaded (e.g. a file called json.py).
    name = file.stem if file.stem.isidentifier() and file.stem not in sys.modules else "__restate_play_target__"
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise TargetError(f"{file} is not a Python file that can be imported.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pydantic look their module up by name
    spec.loader.exec_module(module)
    return module


def find_app(module: ModuleType, attr: str | None, where: str) -> Any:
    """The ASGI app to serve: attr (a restate.app, a list of services, a service), else the
    module's `services` list, its `app`, or every service defined at its top level."""
    if attr is not None:
        if not hasattr(module, attr):
            names = sorted(n for n in vars(module) if not n.startswith("_"))
            raise TargetError(f"{where} has no attribute '{attr}'. It has: {', '.join(names) or 'nothing'}.")
        return _as_app(getattr(module, attr), f"{where}:{attr}")
    for name in ("services", "app"):
        if name in vars(module):
            return _as_app(vars(module)[name], f"{where}:{name}")
    found = [v for v in vars(module).values() if isinstance(v, SERVICE_TYPES)]
    if not found:
        raise TargetError(
            f"{where} defines no Restate service (restate.Service, VirtualObject or Workflow), "
            "no `services = [...]` and no `app = restate.app(...)`."
        )
    return _as_app(found, where)


def _as_app(value: Any, where: str) -> Any:
    if isinstance(value, SERVICE_TYPES):
        value = [value]
    if isinstance(value, list | tuple):
        bad = [repr(v)[:60] for v in value if not isinstance(v, SERVICE_TYPES)]
        if bad or not value:
            raise TargetError(f"{where} should be a list of Restate services; it holds {', '.join(bad) or 'none'}.")
        _no_duplicates(list(value), where)
        return restate.app(services=list(value))
    if callable(value):  # restate.app(...) or any ASGI app wrapping one
        return value
    raise TargetError(f"{where} is a {type(value).__name__}: expected restate.app(...) or a list of services.")


def _no_duplicates(services: list[Any], where: str) -> None:
    names = [s.name for s in services]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise TargetError(f"{where}: two services are named {', '.join(twice)}; Restate needs unique names.")
