"""Light and dark following the system, or forced by the settings.

"system" keeps the platform palette (and follows its changes); "light"/"dark" set Qt's colour
scheme hint and a matching Fusion palette, so the choice also holds where the platform ignores hints.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory


def _dark_palette() -> QPalette:
    palette = QPalette()
    colors = {
        QPalette.ColorRole.Window: "#2b2b2b", QPalette.ColorRole.WindowText: "#e6e6e6",
        QPalette.ColorRole.Base: "#1f1f1f", QPalette.ColorRole.AlternateBase: "#2a2a2a",
        QPalette.ColorRole.ToolTipBase: "#3a3a3a", QPalette.ColorRole.ToolTipText: "#f0f0f0",
        QPalette.ColorRole.Text: "#e6e6e6", QPalette.ColorRole.Button: "#353535",
        QPalette.ColorRole.ButtonText: "#e6e6e6", QPalette.ColorRole.BrightText: "#ff6e6e",
        QPalette.ColorRole.Highlight: "#3d6fb4", QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: "#8ab4f8", QPalette.ColorRole.PlaceholderText: "#9a9a9a",
    }
    for role, value in colors.items():
        palette.setColor(role, QColor(value))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7a7a7a"))
    return palette


_platform_style: list[str] = []  # the style the platform chose, to return to for "system"


def apply_theme(app: QApplication, theme: str) -> None:
    if not _platform_style:
        _platform_style.append(app.style().name())
    hints = QGuiApplication.styleHints()
    fusion = QStyleFactory.create("Fusion")
    if theme == "dark":
        hints.setColorScheme(Qt.ColorScheme.Dark)
        app.setStyle(fusion)
        app.setPalette(_dark_palette())
    elif theme == "light":
        hints.setColorScheme(Qt.ColorScheme.Light)
        app.setStyle(fusion)
        app.setPalette(fusion.standardPalette())
    else:
        hints.unsetColorScheme()
        if app.style().name() != _platform_style[0]:
            app.setStyle(QStyleFactory.create(_platform_style[0]))
        app.setPalette(app.style().standardPalette())


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128
