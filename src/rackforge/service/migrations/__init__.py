"""Alembic migrations of the service database (``rackforge db upgrade``)."""
