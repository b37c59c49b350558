"""Definitions per language: tree-sitter where the grammar is installed, the regex fallback always."""

from __future__ import annotations

import pytest

from reviewer_app.core.callers import code_defs
from reviewer_app.core.callers.code_defs import _regex_definitions, code_definitions

SOURCES = {
    "java": ("class Cart {\n  public int total(int x) { return x; }\n}\n", {"Cart": "class", "Cart.total": "method"}),
    "kotlin": ("class Cart {\n  fun total(x: Int): Int { return x }\n}\nfun top(a: Int) = a\n",
               {"Cart": "class", "Cart.total": "method", "top": "function"}),
    "rust": ("struct Cart {}\nimpl Cart {\n  pub fn total(&self) -> i32 { 1 }\n}\npub fn apply(a: i32) -> i32 { a }\n",
             {"Cart": "type", "Cart.total": "method", "apply": "function"}),
    "ruby": ("class Cart\n  def total(x)\n    x\n  end\nend\n", {"Cart": "class", "Cart.total": "method"}),
    "shell": ("deploy() {\n  echo hi\n}\nfunction rollback {\n  :\n}\n", {"deploy": "function", "rollback": "function"}),
    "typescript": ("export function applyDiscount(p: number) { return p }\nexport const f = (x: number) => x\n"
                   "class Cart { total(y: number) { return y } }\n",
                   {"applyDiscount": "function", "f": "function", "Cart": "class", "Cart.total": "method"}),
    "go": ("package p\n\ntype Cart struct{}\n\nfunc (c *Cart) Total(x int) int { return x }\n\n"
           "func Apply(a int) int { return a }\n", {"Cart": "type", "Total": "method", "Apply": "function"}),
}


@pytest.mark.parametrize("language", sorted(SOURCES))
def test_tree_sitter_definitions(language: str) -> None:
    if not code_defs.has_grammar(language):
        pytest.skip(f"no tree-sitter grammar for {language}")
    text, expected = SOURCES[language]
    found, exact = code_definitions(text, language)
    assert exact
    assert {key: d.kind for key, d in found.items()} == expected


def test_tree_sitter_signature_is_the_parameter_list() -> None:
    if not code_defs.has_grammar("rust"):
        pytest.skip("no tree-sitter grammar for rust")
    found, _ = code_definitions(SOURCES["rust"][0], "rust")
    assert (found["apply"].signature, found["apply"].line) == ("(a: i32)", 5)


@pytest.mark.parametrize("language,names", [
    ("go", {"Cart", "Total", "Apply"}), ("ruby", {"Cart", "total"}), ("shell", {"deploy", "rollback"}),
    ("rust", {"Cart", "total", "apply"}), ("kotlin", {"Cart", "total", "top"}),
    ("typescript", {"applyDiscount", "f", "Cart"}),
])
def test_regex_fallback_finds_the_definitions(language: str, names: set[str]) -> None:
    assert set(_regex_definitions(SOURCES[language][0], language)) == names


def test_a_missing_grammar_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    code_defs._parser.cache_clear()
    monkeypatch.setitem(code_defs._GRAMMARS, "go", ("tree_sitter_no_such_grammar", "language"))
    try:
        found, exact = code_definitions(SOURCES["go"][0], "go")
        assert not exact and set(found) == {"Cart", "Total", "Apply"}
    finally:
        code_defs._parser.cache_clear()
