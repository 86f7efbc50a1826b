"""`@pytest.mark.restate_app(...)`: what to serve, read into a target of the playground's own kind.

    pytest.mark.restate_app("app:app")                      module:attr (from the test file's folder)
    pytest.mark.restate_app("app.py")                       a file, a directory, or a pattern slug
    pytest.mark.restate_app(["app:greeter", counter])       several: specs, or the service objects
    pytest.mark.restate_app("app:app", scope="test")        a fresh service process for every test
    pytest.mark.restate_app("app:app", env={"MODE": "x"})   extra environment for the service

A spec goes through `sandbox.target.resolve`, exactly as `restate-play run app:app` would read it.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from restate_play.sandbox.target import PythonTarget, Target, resolve

SCOPES = ("module", "test")


@dataclass(frozen=True)
class AppSpec:
    specs: tuple[str, ...]
    root: Path  # where relative specs are read from (the test file's folder, or the rootdir)
    env: tuple[tuple[str, str], ...] = ()
    scope: str = "module"
    shim_dir: Path | None = None  # where a list of services gets its one generated module

    def target(self) -> Target:
        if len(self.specs) == 1:
            return resolve(self.specs[0], self.root)
        assert self.shim_dir is not None
        return PythonTarget(", ".join(self.specs), self.root, file=self._shim(), attr="services")

    def _shim(self) -> Path:
        """One module importing every named service through the playground's own importer."""
        assert self.shim_dir is not None
        imports = []
        for spec in self.specs:
            target = resolve(spec, self.root)
            if not isinstance(target, PythonTarget) or target.attr is None:
                raise ValueError(f"restate_app([...]): '{spec}' must name an attribute, e.g. app:greeter.")
            file = repr(str(target.file)) if target.file else "None"
            imports.append(f"    ({repr(str(target.root))}, {file}, {target.module!r}, {target.attr!r}),")
        text = SHIM.format(specs=", ".join(self.specs), imports="\n".join(imports))
        name = "restate_services_" + hashlib.sha1(text.encode()).hexdigest()[:10]
        path = self.shim_dir / f"{name}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path


SHIM = '''"""Written by restate_play.testing for restate_app([{specs}])."""
from pathlib import Path

from restate_play.sandbox.user_code import import_target

_modules = {{}}
services = []
for root, file, module, attr in [
{imports}
]:
    where = (root, file, module)
    if where not in _modules:
        _modules[where] = import_target(Path(root), Path(file) if file else None, module)
    found = getattr(_modules[where], attr)
    services += list(found) if isinstance(found, (list, tuple)) else [found]
'''


def from_marker(
    args: tuple[Any, ...], kwargs: dict[str, Any], test_dir: Path, rootdir: Path, shim_dir: Path
) -> AppSpec:
    if len(args) != 1:
        raise ValueError('restate_app takes one argument: "module:attr", a file, or a list of them.')
    named = args[0] if isinstance(args[0], list | tuple) else [args[0]]
    specs = tuple(s if isinstance(s, str) else spec_of(s) for s in named)
    scope = kwargs.get("scope", "module")
    if scope not in SCOPES:
        raise ValueError(f"restate_app(scope={scope!r}): use one of {', '.join(SCOPES)}.")
    env = tuple(sorted((str(k), str(v)) for k, v in (kwargs.get("env") or {}).items()))
    return AppSpec(specs, _root_for(specs, test_dir, rootdir), env, scope, shim_dir)


def spec_of(service: Any) -> str:
    """'path/to/file.py:name' for a service object the test imported (found by identity in its module)."""
    handlers = getattr(service, "handlers", None)
    fn = next((getattr(h, "fn", None) for h in (handlers or {}).values()), None)
    module = sys.modules.get(getattr(fn, "__module__", "") or "")
    if module is None or not getattr(module, "__file__", None):
        raise ValueError(f"restate_app: cannot tell where {service!r} is defined; name it as 'module:attr'.")
    for name, value in vars(module).items():
        if value is service:
            return f"{module.__file__}:{name}"
    where = module.__name__
    raise ValueError(f"restate_app: {service!r} is not a top-level name of {where}; name it as 'module:attr'.")


def _root_for(specs: tuple[str, ...], test_dir: Path, rootdir: Path) -> Path:
    """The test file's folder, unless the first module named is only found from the rootdir."""
    left = specs[0].rpartition(":")[0] if ":" in specs[0] else specs[0]
    if left.endswith(".py") or "/" in left or not left:
        return test_dir
    top = left.split(".")[0]
    for folder in (test_dir, rootdir):
        if (folder / f"{top}.py").is_file() or (folder / top).is_dir():
            return folder
    return test_dir
