"""The JSON API's routers (every route but health needs a token; every query goes through a Scope)."""
