"""Repositories: rows <-> domain objects. A module here declares classes with a REPOSITORY_NAME;
the unit of work exposes each as `uow.<REPOSITORY_NAME>`. Add a module; edit nothing shared."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from typing import Any


@cache
def repository_classes() -> dict[str, type[Any]]:
    found: dict[str, type[Any]] = {}
    for mod in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{mod.name}")
        for obj in vars(module).values():
            name = getattr(obj, "REPOSITORY_NAME", None)
            if isinstance(obj, type) and isinstance(name, str) and obj.__module__ == module.__name__:
                if name in found and found[name] is not obj:
                    raise RuntimeError(f"two repositories named {name!r}")
                found[name] = obj
    return found
