"""Jinja2 templates of the pages (autoescaped), rendered with the caller, the CSRF token and the static
files' URLs."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request

from rackforge.service.web.session import csrf_token

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")


@functools.cache
def environment() -> Environment:
    """The template environment (autoescaping on for .html)."""
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["tojson_attr"] = lambda value: json.dumps(value, separators=(",", ":"), default=str)
    env.filters["when"] = lambda t: "" if t is None else t.strftime("%Y-%m-%d %H:%M")
    return env


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """``template`` rendered with ``context`` plus ``user``, ``csrf`` and ``request``."""
    user = getattr(request.state, "user", None)
    page = environment().get_template(template).render(request=request, user=user, csrf=csrf_token(request),
                                                       **context)
    return HTMLResponse(page, status_code=status_code,
                        headers={"Content-Security-Policy": CSP, "X-Frame-Options": "SAMEORIGIN",
                                 "Referrer-Policy": "same-origin", "X-Content-Type-Options": "nosniff"})


CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "frame-src 'self'; frame-ancestors 'self'; form-action 'self'; base-uri 'none'; object-src 'none'")
"""The pages load scripts and styles only from the service itself (no inline script, no CDN)."""
