"""The blast-radius graph: layered by hops, styles by role (not colour alone), via chains lit."""

from __future__ import annotations

from PySide6.QtCore import Qt

from reviewer_app.ui.backend import ServiceRef, service_refs
from reviewer_app.ui.graph_layout import chain_edges, hop_distances, layered_layout
from reviewer_app.ui.services_panel import ServicesPanel

GRAPH = {
    "nodes": [
        {"id": "orders-db", "name": "orders-db", "tier": 0, "owner": "team-data", "affected": "direct"},
        {"id": "checkout", "name": "checkout", "tier": 1, "owner": "team-web", "affected": "transitive"},
        {"id": "storefront", "name": "storefront", "tier": 2, "owner": "team-web", "affected": "transitive"},
        {"id": "search", "name": "search", "tier": 3, "owner": "team-search", "affected": None},
        {"id": "billing", "name": "billing", "tier": 1, "owner": "team-pay", "affected": None},
    ],
    "edges": [
        {"source": "checkout", "target": "orders-db", "kind": "dependsOn"},
        {"source": "storefront", "target": "checkout", "kind": "dependsOn"},
        {"source": "billing", "target": "checkout", "kind": "dependsOn"},
    ],
}
ANALYSIS_SERVICES = {
    "direct": [{"name": "orders-db", "tier": 0, "owner": "team-data", "paths": ["db/x.sql"]}],
    "transitive": [
        {"name": "storefront", "tier": 2, "owner": "team-web", "via": ["orders-db", "checkout", "storefront"]},
        {"name": "checkout", "tier": 1, "owner": "team-web", "via": ["orders-db", "checkout"]},
    ],
    "max_tier": 0,
}


def test_layers_follow_hop_distance_and_unrelated_services_go_last() -> None:
    assert hop_distances(GRAPH) == {"orders-db": 0, "checkout": 1, "storefront": 2, "billing": 2}
    placed = {node.id: node for node in layered_layout(GRAPH)}
    # Layers run top to bottom by hops from the directly touched service.
    assert placed["orders-db"].y < placed["checkout"].y < placed["storefront"].y
    assert placed["billing"].y == placed["storefront"].y  # same hop count, same layer
    assert placed["storefront"].x < placed["billing"].x  # within a layer: affected before context
    assert placed["search"].y > placed["storefront"].y  # no path to the change: the context band last
    assert placed["search"].role == "other" and placed["orders-db"].role == "direct"


def test_a_wide_layer_wraps_onto_more_rows() -> None:
    nodes = [{"id": "core", "name": "core", "tier": 0, "affected": "direct"}] + [
        {"id": f"dep{n}", "name": f"dep{n}", "tier": 2, "affected": "transitive"} for n in range(5)]
    edges = [{"source": f"dep{n}", "target": "core"} for n in range(5)]
    placed = layered_layout({"nodes": nodes, "edges": edges})
    rows = sorted({node.y for node in placed if node.role == "transitive"})
    assert len(rows) == 3  # five dependents, two per row
    assert len({node.x for node in placed}) <= 3


def test_chain_edges_follow_the_via_list_in_either_direction() -> None:
    assert chain_edges(["orders-db", "checkout", "storefront"], GRAPH) == {
        ("checkout", "orders-db"), ("storefront", "checkout")}
    assert chain_edges(["orders-db"], GRAPH) == set()


def test_service_refs_sort_direct_then_dependents_by_tier() -> None:
    refs = service_refs(ANALYSIS_SERVICES)
    assert [(r.name, r.kind, r.tier) for r in refs] == [
        ("orders-db", "direct", 0), ("checkout", "transitive", 1), ("storefront", "transitive", 2)]
    assert refs[2].via == ["orders-db", "checkout", "storefront"]


def test_panel_lists_services_and_lights_the_chain_of_a_selected_dependent(qtbot) -> None:
    panel = ServicesPanel()
    qtbot.addWidget(panel)
    panel.resize(600, 700)
    refs = service_refs(ANALYSIS_SERVICES)
    panel.set_services(refs, GRAPH)
    assert panel.list.topLevelItemCount() == 3
    first = panel.list.topLevelItem(0)
    assert [first.text(n) for n in range(4)] == ["orders-db", "direct", "T0", "team-data"]
    assert first.font(0).bold()  # tier 0 stands out in type, not only in colour
    assert "Tier 0: orders-db" in panel.summary.text()
    panel.list.setCurrentItem(panel.list.topLevelItem(2))  # storefront
    assert panel.graph_view.highlighted() == {"orders-db", "checkout", "storefront"}
    edge_pens = {pair: item.pen().widthF() for pair, item in panel.graph_view._edge_items.items()}
    assert edge_pens[("storefront", "checkout")] > edge_pens[("billing", "checkout")]
    panel.select_service("checkout")  # a click on a node selects its row
    assert panel.list.currentItem().text(0) == "checkout"
    assert panel.graph_view.highlighted() == {"orders-db", "checkout"}


def test_nodes_differ_by_pen_style_and_carry_text_badges(qtbot) -> None:
    panel = ServicesPanel()
    qtbot.addWidget(panel)
    panel.set_services([ServiceRef("orders-db", 0, "team-data", "direct")], GRAPH)
    items = panel.graph_view._node_items
    styles = {node_id: item.pen().style() for node_id, item in items.items()}
    assert styles["orders-db"] == Qt.PenStyle.SolidLine
    assert styles["checkout"] == Qt.PenStyle.DashLine
    assert styles["search"] == Qt.PenStyle.DotLine
    captions = [child.text() for child in items["orders-db"].childItems()]
    assert "orders-db" in captions and "T0  DIRECT  @team-data" in captions


def test_empty_catalog_says_so(qtbot) -> None:
    panel = ServicesPanel()
    qtbot.addWidget(panel)
    panel.set_services([], {"nodes": [], "edges": [], "error": ".reviewer/services.toml: invalid TOML"})
    texts = [item.text() for item in panel.graph_view.scene().items() if hasattr(item, "text")]
    assert ".reviewer/services.toml: invalid TOML" in texts
    assert panel.summary.text() == "No catalogued service is affected."


def test_only_the_nearest_context_services_are_drawn() -> None:
    from reviewer_app.ui.graph_layout import MAX_CONTEXT, drawn_nodes

    nodes = [{"id": "core", "name": "core", "tier": 0, "affected": "direct"}] + [
        {"id": f"lib{n}", "name": f"lib{n}", "tier": n % 3, "affected": None} for n in range(10)]
    edges = [{"source": "core", "target": f"lib{n}"} for n in range(10)]
    kept, left_out = drawn_nodes({"nodes": nodes, "edges": edges})
    assert left_out == 10 - MAX_CONTEXT
    assert kept[0]["id"] == "core"
    assert [n["tier"] for n in kept[1:]] == sorted(n["tier"] for n in kept[1:])  # the most critical kept
