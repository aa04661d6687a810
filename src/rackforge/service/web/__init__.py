"""The team's web pages (issue 16): server-rendered Jinja2 templates with htmx, every script and style
shipped in the package (``static/``), signed session cookies with a CSRF token on every form, and the
same roles as the API (the pages ask the same :class:`~rackforge.service.access.Scope`).

:func:`rackforge.service.web.install.install_web` adds the pages, the line board and the session layer
to the service's app. See docs/service.md, "Web pages and the line board".
"""
