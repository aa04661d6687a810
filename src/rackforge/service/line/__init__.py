"""The line-side board (issue 16): ``/line/{programme_id}`` for the factory floor's panel PCs, fed by the
line through ``POST /api/programmes/{id}/line-events`` and ``…/test-results`` with a station token,
live by server-sent events. The figures are :mod:`rackforge.factory.line_status`'s; this package stores,
authenticates, broadcasts and serves. See docs/service.md, "Web pages and the line board".
"""
