"""The web portal: server-rendered Jinja2 pages in Korean and English, signed-in by session cookie.

Pages live in routes/<feature>.py (each exposing `router`), templates in templates/{pages,components}.
The API never accepts the session cookie; the portal calls services directly, and every form carries a CSRF
token bound to the session.
"""

from __future__ import annotations

from klean.adapters.web.app import mount

__all__ = ["mount"]
