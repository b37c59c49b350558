"""The Services tab: the catalog around the change as a graph, with a list beside it.

Direct services, transitive dependents and the rest are told apart by shape and border (solid
box, dashed rounded box, dotted ellipse) and by a text label, never by colour alone; tiers and
owners are badges. Selecting a dependent in the list highlights its ``via`` chain in the graph.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QLabel,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from reviewer_app.ui.backend import ServiceRef
from reviewer_app.ui.graph_layout import NODE_H, NODE_W, PlacedNode, chain_edges, drawn_nodes, layered_layout

MIN_SCALE = 0.8  # below this the badges are unreadable: scroll instead of shrinking further
ROLE_TEXT = {"direct": "DIRECT", "transitive": "DEPENDENT", "other": "context"}
ID_ROLE = Qt.ItemDataRole.UserRole + 1
USE_ROLE = Qt.ItemDataRole.UserRole + 2  # (path, line, base) of one use in "Called by"


def _node_shape(role: str, rect: QRectF) -> QPainterPath:
    path = QPainterPath()
    if role == "direct":
        path.addRect(rect)
    elif role == "transitive":
        path.addRoundedRect(rect, 12, 12)
    else:
        path.addEllipse(rect)
    return path


def _node_pen(role: str, color: QColor, highlighted: bool) -> QPen:
    style = {"direct": Qt.PenStyle.SolidLine, "transitive": Qt.PenStyle.DashLine}.get(role, Qt.PenStyle.DotLine)
    width = {"direct": 3.0, "transitive": 2.0}.get(role, 1.0) + (2.0 if highlighted else 0.0)
    pen = QPen(color, width, style)
    pen.setCosmetic(True)
    return pen


def _fit(text: str, font: QFont) -> str:
    """Elide text to the node's inner width; the node's tooltip has the whole text."""
    return QFontMetricsF(font).elidedText(text, Qt.TextElideMode.ElideRight, NODE_W - 18)


class ServiceGraphView(QGraphicsView):
    node_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.setAccessibleName("Service graph")
        self._graph: dict[str, Any] = {}
        self._placed: dict[str, PlacedNode] = {}
        self._node_items: dict[str, QGraphicsPathItem] = {}
        self._edge_items: dict[tuple[str, str], QGraphicsPathItem] = {}
        self._highlighted: set[str] = set()

    def set_graph(self, graph: dict[str, Any]) -> None:
        scene = self.scene()
        scene.clear()
        self._node_items.clear()
        self._edge_items.clear()
        self._graph = graph
        self._placed = {node.id: node for node in layered_layout(graph)}
        text = self.palette().color(QPalette.ColorRole.Text)
        for edge in graph.get("edges") or []:
            pair = (str(edge.get("source")), str(edge.get("target")))
            if pair[0] in self._placed and pair[1] in self._placed:
                self._edge_items[pair] = self._add_edge(pair, text)
        for node in self._placed.values():
            self._node_items[node.id] = self._add_node(node, text)
        self._add_legend(text)
        scene.setSceneRect(scene.itemsBoundingRect().adjusted(-20, -20, 20, 20))
        self.fit()

    def fit(self) -> None:
        """Fit the width when that keeps text readable; never enlarge past 1:1; else scroll."""
        rect = self.scene().sceneRect()
        if not rect.isValid() or rect.isEmpty():
            return
        available = max(1, self.viewport().width() - 4)
        scale = min(1.0, max(MIN_SCALE, available / rect.width()))
        self.resetTransform()
        self.scale(scale, scale)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self.fit()

    def _add_node(self, node: PlacedNode, text: QColor) -> QGraphicsPathItem:
        rect = QRectF(node.x, node.y, NODE_W, NODE_H)
        item = QGraphicsPathItem(_node_shape(node.role, rect))
        item.setPen(_node_pen(node.role, text, False))
        base = self.palette().color(QPalette.ColorRole.Base)
        item.setBrush(QBrush(base))
        item.setData(0, node.id)
        item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        item.setToolTip(f"{node.name}\n{ROLE_TEXT[node.role]}; tier {node.tier if node.tier is not None else '?'}; "
                        f"owner {node.owner or 'none'}")
        self.scene().addItem(item)
        title = QGraphicsSimpleTextItem(item)
        bold = QFont(title.font())
        bold.setBold(node.role == "direct")
        title.setFont(bold)
        title.setText(_fit(node.name, bold))
        title.setBrush(QBrush(text))
        title.setPos(node.x + 10, node.y + 5)
        badges = [ROLE_TEXT[node.role]]
        if node.tier is not None:
            badges.insert(0, f"T{node.tier}")
        if node.owner:
            badges.append(f"@{node.owner}")
        caption = QGraphicsSimpleTextItem(item)
        caption.setText(_fit("  ".join(badges), caption.font()))
        caption.setBrush(QBrush(text))
        caption.setPos(node.x + 10, node.y + 25)
        return item

    def _add_edge(self, pair: tuple[str, str], color: QColor) -> QGraphicsPathItem:
        a, b = self._placed[pair[0]], self._placed[pair[1]]
        if a.y == b.y:  # same row: join the facing sides
            left, right = (a, b) if a.x < b.x else (b, a)
            start, end = QPointF(left.x + NODE_W, left.y + NODE_H / 2), QPointF(right.x, right.y + NODE_H / 2)
            path = QPainterPath(start)
            path.lineTo(end)
        else:  # layers run top to bottom: bottom edge of the upper node to the top of the lower one
            upper, lower = (a, b) if a.y < b.y else (b, a)
            start = QPointF(upper.x + NODE_W / 2, upper.y + NODE_H)
            end = QPointF(lower.x + NODE_W / 2, lower.y)
            path = QPainterPath(start)
            mid = (start.y() + end.y()) / 2
            path.cubicTo(QPointF(start.x(), mid), QPointF(end.x(), mid), end)
        item = QGraphicsPathItem(path)
        faded = QColor(color)
        faded.setAlpha(110)
        pen = QPen(faded, 1.2)
        pen.setCosmetic(True)
        item.setPen(pen)
        item.setZValue(-1)
        self.scene().addItem(item)
        return item

    def _add_legend(self, text: QColor) -> None:
        top = max((node.y for node in self._placed.values()), default=0.0) + NODE_H + 24
        for number, role in enumerate(("direct", "transitive", "other")):
            rect = QRectF(0, top + number * 28.0, 40, 22)
            swatch = QGraphicsPathItem(_node_shape(role, rect))
            swatch.setPen(_node_pen(role, text, False))
            self.scene().addItem(swatch)
            label = {"direct": "DIRECT: touched by the change", "transitive": "DEPENDENT: depends on a direct one",
                     "other": "context: not affected"}[role]
            caption = QGraphicsSimpleTextItem(label)
            caption.setBrush(QBrush(text))
            caption.setPos(rect.right() + 8, rect.top() + 2)
            self.scene().addItem(caption)
        left_out = drawn_nodes(self._graph)[1]
        if left_out:
            more = QGraphicsSimpleTextItem(f"+{left_out} more unaffected neighbour(s) not drawn")
            more.setBrush(QBrush(text))
            more.setPos(0, top + 3 * 28.0)
            self.scene().addItem(more)
        if not self._placed:
            empty = QGraphicsSimpleTextItem(self._graph.get("error") or "No service catalog for this workspace")
            empty.setBrush(QBrush(text))
            empty.setPos(0, 0)
            self.scene().addItem(empty)

    def highlight_chain(self, node_id: str | None, chain: list[str]) -> None:
        """Thicken the selected service, its via chain and the edges joining them."""
        text = self.palette().color(QPalette.ColorRole.Text)
        accent = self.palette().color(QPalette.ColorRole.Highlight)
        names = {node.name: node.id for node in self._placed.values()}
        lit = {names.get(step, step) for step in chain}
        if node_id:
            lit.add(node_id)
        for item_id, item in self._node_items.items():
            placed = self._placed[item_id]
            on = item_id in lit
            item.setPen(_node_pen(placed.role, accent if on else text, on))
        selected = [self._placed[node_id].name] if node_id in self._placed else []
        lit_edges = chain_edges([*chain, *selected], self._graph)
        for pair, edge in self._edge_items.items():
            pen = QPen(edge.pen())
            on = pair in lit_edges
            color = QColor(accent if on else text)
            color.setAlpha(255 if on else 110)
            pen.setColor(color)
            pen.setWidthF(3.0 if on else 1.2)
            pen.setStyle(Qt.PenStyle.SolidLine)
            edge.setPen(pen)
            edge.setZValue(0 if on else -1)
        self._highlighted = lit

    def highlighted(self) -> set[str]:
        return set(self._highlighted)

    def node_ids(self) -> list[str]:
        return list(self._placed)

    def mousePressEvent(self, event: Any) -> None:
        item = self.itemAt(event.position().toPoint())
        while item is not None and item.data(0) is None:
            item = item.parentItem()
        if item is not None:
            self.node_clicked.emit(str(item.data(0)))
        super().mousePressEvent(event)


class ServicesPanel(QWidget):
    """Graph on the left, a list (service, role, tier, owner, via) on the right."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.graph_view = ServiceGraphView(self)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.list = QTreeWidget(self)
        self.list.setHeaderLabels(["Service", "Affected", "Tier", "Owner", "Via"])
        self.list.setRootIsDecorated(False)
        self.list.setAccessibleName("Affected services")
        # "Called by": each changed symbol, its uses under each service; activating a use opens the
        # file at the change's base. It shares the list's pane, so the saved two-pane sizes still apply.
        self.callers = QTreeWidget(self)
        self.callers.setHeaderLabels(["Called by", "Where"])
        self.callers.setAccessibleName("Called by: uses of the changed symbols")
        self.callers.itemActivated.connect(self._open_use)
        lists = QSplitter(Qt.Orientation.Vertical, self)
        lists.addWidget(self.list)
        lists.addWidget(self.callers)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("services")
        self.splitter.addWidget(self.graph_view)
        self.splitter.addWidget(lists)
        self.splitter.setSizes([300, 200])
        self.repository: Path | None = None  # where uses are read from; else the main window's workspace
        self.viewers: list[Any] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addWidget(self.splitter, 1)
        self.list.currentItemChanged.connect(self._on_current)
        self.graph_view.node_clicked.connect(self.select_service)
        self._refs: list[ServiceRef] = []
        self._ids_by_name: dict[str, str] = {}

    def set_services(self, refs: list[ServiceRef], graph: dict[str, Any]) -> None:
        self._refs = refs
        self._ids_by_name = {str(n.get("name")): str(n.get("id")) for n in graph.get("nodes") or []}
        self.graph_view.set_graph(graph)
        self.list.clear()
        for ref in refs:
            item = QTreeWidgetItem([
                ref.name, ROLE_TEXT[ref.kind].lower(), f"T{ref.tier}" if ref.tier is not None else "?",
                ref.owner or "—", " → ".join(ref.via) if ref.via else "",
            ])
            item.setData(0, ID_ROLE, self._ids_by_name.get(ref.name, ref.name))
            font = item.font(0)
            font.setBold(ref.tier == 0)
            item.setFont(0, font)
            self.list.addTopLevelItem(item)
        for column in range(self.list.columnCount()):
            self.list.resizeColumnToContents(column)
        direct = sum(1 for ref in refs if ref.kind == "direct")
        tier0 = [ref.name for ref in refs if ref.tier == 0]
        text = f"{direct} direct, {len(refs) - direct} dependent service(s)."
        if tier0:
            text += f" Tier 0: {', '.join(tier0)}."
        self.summary.setText(text if refs else "No catalogued service is affected.")

    def set_callers(self, callers: list[dict[str, Any]], notes: list[str] | None = None) -> None:
        """Fill "Called by": a row per changed symbol, its uses grouped by service beneath it."""
        self.callers.clear()
        for entry in callers:
            uses = entry.get("uses") or []
            inside = entry.get("uses_in_change") or []
            renamed = f" (was {entry.get('old_name')})" if entry.get("old_name") else ""
            symbol = QTreeWidgetItem([
                f"{entry.get('symbol')}{renamed} — {entry.get('kind')}, {entry.get('change')}",
                f"{entry.get('path')}:{entry.get('line')}  ·  {len(uses)} use(s) elsewhere",
            ])
            groups: dict[str, list[dict[str, Any]]] = {}
            for use in uses:
                groups.setdefault(str(use.get("service") or "(no service)"), []).append(use)
            if inside:
                groups["(inside this change)"] = inside
            for service, group in groups.items():
                parent = QTreeWidgetItem([service, f"{len(group)} use(s)"])
                for use in group:
                    child = QTreeWidgetItem([f"{use.get('path')}:{use.get('line')}", str(use.get("snippet") or "")])
                    child.setData(0, USE_ROLE, (str(use.get("path")), int(use.get("line") or 0),
                                                str(entry.get("base") or "")))
                    child.setToolTip(0, "Open this file at the change's base (read-only)")
                    parent.addChild(child)
                symbol.addChild(parent)
            self.callers.addTopLevelItem(symbol)
            symbol.setExpanded(bool(uses))
            for index in range(symbol.childCount()):
                symbol.child(index).setExpanded(True)
        if not callers:
            text = "; ".join(notes or []) or "No changed function, class, constant, route or schema."
            self.callers.addTopLevelItem(QTreeWidgetItem([text, ""]))
        self.callers.resizeColumnToContents(0)

    def _open_use(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        data = item.data(0, USE_ROLE)
        if not data:
            return
        from reviewer_app.ui.file_viewer import open_file_at

        path, line, base = data
        repository = self.repository or getattr(self.window(), "workspace_root", None)
        viewer = open_file_at(Path(repository) if repository else None, base or None, path, line, self)
        if viewer is not None:
            self.viewers.append(viewer)

    def select_service(self, node_id: str) -> None:
        for number in range(self.list.topLevelItemCount()):
            item = self.list.topLevelItem(number)
            if item.data(0, ID_ROLE) == node_id:
                self.list.setCurrentItem(item)
                return

    def _on_current(self, current: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None) -> None:
        if current is None:
            self.graph_view.highlight_chain(None, [])
            return
        ref = self._refs[self.list.indexOfTopLevelItem(current)]
        self.graph_view.highlight_chain(current.data(0, ID_ROLE), ref.via)
