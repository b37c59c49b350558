"""Invisible and control characters are shown as markers, and columns map through them."""

from __future__ import annotations

from reviewer_app.ui.diffview.display import display_text, suspicious_characters


def test_plain_ascii_is_shown_as_is_without_a_column_map() -> None:
    shown = display_text("return x + 1")
    assert shown.text == "return x + 1" and shown.columns is None and shown.markers == []


def test_trojan_source_bidi_controls_become_visible_markers() -> None:
    source = 'if access_level != "user\u202e \u2066// Check if admin\u2069 \u2066":'
    shown = display_text(source)
    assert "⟨U+202E⟩" in shown.text and "⟨U+2066⟩" in shown.text and "⟨U+2069⟩" in shown.text
    assert "\u202e" not in shown.text
    assert suspicious_characters(source) == ["⟨U+202E⟩", "⟨U+2066⟩", "⟨U+2069⟩", "⟨U+2066⟩"]
    # The column after the override moved by the marker's width minus one.
    override = source.index("\u202e")
    assert shown.column(override + 1) == override + len("⟨U+202E⟩")


def test_zero_width_and_lookalike_spaces_and_controls_are_marked() -> None:
    assert suspicious_characters("a\u200bb\u00a0c\x1bd\u3164e") == ["⟨U+200B⟩", "⟨U+00A0⟩", "⟨U+001B⟩", "⟨U+3164⟩"]
    assert suspicious_characters("naïve café 東京") == []


def test_tabs_expand_to_tab_stops_and_crlf_shows_quietly() -> None:
    shown = display_text("\tx\ty\r")
    assert shown.text == "        x       y↵"
    assert shown.column(1) == 8 and shown.column(3) == 16
    assert shown.markers == [] and shown.symbols == [(17, 18)]


def test_display_columns_map_back_to_source_columns() -> None:
    shown = display_text("a\u202eb\tc")
    # a | ⟨U+202E⟩ (8 columns) | b | tab to column 16 | c
    assert [shown.source_column(column) for column in (0, 1, 5, 9, 10, 15, 16)] == [0, 1, 1, 2, 3, 3, 4]
    assert display_text("plain").source_column(3) == 3
