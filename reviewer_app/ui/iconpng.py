"""Render the application's SVG icon to PNG at a given size (for ``reviewer-app install-desktop``).

The one piece of desktop integration that needs Qt, kept here because only reviewer_app/ui imports PySide6.
"""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

from reviewer_app.errors import UserError


def render_png(svg: bytes, size: int) -> bytes:
    """The icon drawn into a transparent ``size``×``size`` image, as PNG bytes."""
    if QGuiApplication.instance() is None:
        # QPainter needs an application object; drawing into an image needs no screen, so none is asked for.
        render_png.app = QGuiApplication(["reviewer-app", "-platform", "offscreen"])  # type: ignore[attr-defined]
    renderer = QSvgRenderer(QByteArray(svg))
    if not renderer.isValid():
        raise UserError("icons/app.svg: not a valid SVG image")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise UserError(f"icons/app.svg: cannot encode the {size}px icon as PNG")
    buffer.close()
    return bytes(data.data())
