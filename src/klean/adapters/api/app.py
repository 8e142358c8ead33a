"""The FastAPI application factory: OpenAPI docs at /docs (Swagger UI served from the package), every
routes/<feature>.py included."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from klean import __version__
from klean.adapters.api import errors, observability, routes
from klean.bootstrap import App, bootstrap

# Routers tried first: the per-listing hot path. FastAPI matches a request against every route in order (about
# 80 API routes, each a few microseconds), so the screening routes at the end of the name order cost about 0.2 ms
# per screening. Order only decides between routes that match the same request, and these share no path with any
# other router (tests/contract/test_route_order.py), so which route answers a request does not change.
HOT_ROUTERS = ("screening",)
SWAGGER_UI = Path(__file__).with_name("static") / "swagger-ui"  # vendored swagger-ui-dist (see its README.md)


def discover_routers(package: ModuleType, first: Sequence[str] = ()) -> list[APIRouter]:
    """The `router` of every module in a package, in name order after the modules named in `first` (API routes
    and portal pages alike)."""
    found = []
    modules = sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name)
    modules.sort(key=lambda m: first.index(m.name) if m.name in first else len(first))
    for mod in modules:
        module = importlib.import_module(f"{package.__name__}.{mod.name}")
        router = getattr(module, "router", None)
        if isinstance(router, APIRouter):
            found.append(router)
    return found


def create_app(klean_app: App | None = None) -> FastAPI:
    klean_app = klean_app or bootstrap()
    app = FastAPI(
        title="Klean",
        version=__version__,
        description="Keep counterfeit goods off online marketplaces. Authenticate with "
        "`Authorization: Bearer <API key>`.",
        docs_url=None,  # served below from the package's own copy of Swagger UI, not a CDN: works offline
        redoc_url=None,
    )
    install_docs(app)
    app.state.klean = klean_app
    errors.install(app)
    importlib.import_module("klean.adapters.jobs").install(app, klean_app)  # scheduled jobs loop (off at 0)
    observability.configure_logging(klean_app.settings.log_json)
    # Installed before observability so it runs inside it (the last added middleware is the outermost):
    # limited requests are still counted, logged and given a request id.
    importlib.import_module("klean.adapters.api.ratelimit").install(app, klean_app.settings)
    observability.install(app, max_body_bytes=klean_app.settings.max_upload_bytes + 1024 * 1024)
    for router in discover_routers(routes, first=HOT_ROUTERS):
        app.include_router(router)
    # The portal (adapters/web) mounts itself when present; it is optional for API-only deployments.
    web = importlib.import_module("klean.adapters.web")
    mount = getattr(web, "mount", None)
    if mount is not None:
        mount(app)
    return app


def install_docs(app: FastAPI) -> None:
    """/docs with Swagger UI's script, style and icon served by Klean itself (FastAPI's default loads them from a
    CDN, which leaves the page blank on a machine without Internet access)."""
    app.mount("/docs-static", StaticFiles(directory=SWAGGER_UI), name="docs-static")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} API",
                                   swagger_js_url="/docs-static/swagger-ui-bundle.js",
                                   swagger_css_url="/docs-static/swagger-ui.css",
                                   swagger_favicon_url="/docs-static/favicon-32x32.png",
                                   oauth2_redirect_url="/docs/oauth2-redirect")

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()
