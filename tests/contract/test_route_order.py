"""The hot routers go first in route matching (app.HOT_ROUTERS), which is only safe while no request can match both
one of their routes and a route of another router: then moving them changes nothing but the time to find them."""

from __future__ import annotations

import importlib
import pkgutil
import re

from fastapi.routing import APIRoute

from klean.adapters.api import routes
from klean.adapters.api.app import HOT_ROUTERS, discover_routers


def _sample(path: str) -> str:
    """A concrete path for a route template: every {param} (or {param:convertor}) becomes a plain segment."""
    return re.sub(r"\{[^}]+\}", "x1", path)


def _routes(names: tuple[str, ...], *, hot: bool) -> list[APIRoute]:
    found = []
    for mod in sorted(pkgutil.iter_modules(routes.__path__), key=lambda m: m.name):
        if (mod.name in names) != hot:
            continue
        router = getattr(importlib.import_module(f"{routes.__name__}.{mod.name}"), "router", None)
        found += [r for r in getattr(router, "routes", ()) if isinstance(r, APIRoute)]
    return found


def test_hot_routers_come_first_and_the_rest_in_name_order() -> None:
    order = [r.routes[0].path for r in discover_routers(routes, first=HOT_ROUTERS) if r.routes]
    hot = [r.path for r in _routes(HOT_ROUTERS, hot=True)]
    assert hot and order[0] == hot[0]


def test_hot_routes_share_no_path_with_other_routers() -> None:
    hot = _routes(HOT_ROUTERS, hot=True)
    others = _routes(HOT_ROUTERS, hot=False)
    assert hot and len(others) > 20
    for h in hot:
        for o in others:
            assert not h.path_regex.match(_sample(o.path)), f"{h.path} would answer {o.path}"
            assert not o.path_regex.match(_sample(h.path)), f"{o.path} would lose {h.path}"
