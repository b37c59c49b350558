"""The YAML shortcut gives exactly what ``yaml.load_all`` with the safe loader gives."""

from __future__ import annotations

import pytest
import yaml

from reviewer_app.core.services.yamlload import Loader, load_documents

SAMPLES = [
    "kind: Component\nmetadata: {name: x, tags: [a, b]}\nspec: {tier: 1, owner: team}\n",
    "ints: [0x1f, 0o17, 017, 1_000, -3, +4, '5', 190:20:30]\nbools: [yes, No, on, OFF, true, False]\n",
    "nulls: [~, null, ]\nempty:\nquoted: ['null', \"true\"]\n",
    "float: 1.5\nwhen: 2026-01-02\nnan: .nan\n",  # handed to SafeConstructor as a whole
    "base: &base {owner: a, tier: 2}\nsvc:\n  <<: *base\n  tier: 0\n",  # a merge key
    "first: 1\n---\n---\nsecond: [1, 2]\n...\n",  # several documents, one of them empty
    "- &shared {name: s}\n- *shared\n- *shared\n",
    "binary: !!binary aGVsbG8=\nset: !!set {a, b}\n",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_same_result_as_the_safe_loader(text: str) -> None:
    assert list(load_documents(text)) == list(yaml.load_all(text, Loader=Loader))


def test_aliases_stay_one_object_and_recursion_is_fine() -> None:
    (shared,) = load_documents("- &s {name: s}\n- *s\n- *s\n")
    assert shared[0] is shared[1] is shared[2]
    (loop,) = load_documents("&me [1, *me]\n")
    assert loop[1] is loop


def test_many_aliases_do_not_blow_up() -> None:
    # The "billion laughs" shape: each level names the previous one nine times.
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 12):
        levels.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]")
    (document,) = load_documents("\n".join(levels) + "\n")
    assert document["a11"][0] is document["a10"]


@pytest.mark.parametrize("text", ["? [a, b]\n: unhashable key\n", "x: !custom 1\n", "a: [unclosed\n"])
def test_bad_input_raises_yaml_errors(text: str) -> None:
    with pytest.raises(yaml.YAMLError):
        list(load_documents(text))
