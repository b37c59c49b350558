"""Affected services and blast radius from the team's service catalog.

``load_catalog(workspace)`` merges Backstage descriptors, ``.reviewer/services.toml`` and CODEOWNERS
into a ``Catalog`` (with ``.warnings`` for every bad entry: loading never fails on bad input);
``affected(catalog, paths)`` gives the services a change touches and everything depending on them;
``render_text`` and ``graph_export`` present the result. See docs/services.md.
"""

from __future__ import annotations

from reviewer_app.core.services.affected import Affected, AffectedService, affected
from reviewer_app.core.services.catalog import load_catalog
from reviewer_app.core.services.graph import graph_export
from reviewer_app.core.services.model import Api, Catalog, Edge, Service
from reviewer_app.core.services.render import render_text

__all__ = [
    "Affected", "AffectedService", "Api", "Catalog", "Edge", "Service",
    "affected", "graph_export", "load_catalog", "render_text",
]
