"""Record classes that cost nothing to define.

``@dataclass`` writes each method it generates (``__init__``, ``__repr__``, ``__eq__``, a frozen
record's ``__hash__``, ``__setattr__`` and ``__delattr__``) as source text and compiles it when the
class is created: about a millisecond per class on every start, a quarter of a one-line ``analyze``'s
own time for the fifty records on its path. A record that nothing reads through ``dataclasses``
(``replace``, ``asdict``, ``fields``) is written as a plain class instead: its ``__init__`` by hand
(compiled into the bytecode cache like any function, and as fast as the generated one), its
``__repr__`` and ``__eq__`` from ``Record`` and, where the dataclass was frozen, its ``__hash__`` from
``FrozenRecord``. They answer what the generated methods answer: the same text, the same equality,
the same hash value.
"""

from __future__ import annotations

from typing import Any, ClassVar


class Record:
    """``__repr__`` and ``__eq__`` over ``FIELDS``, as ``@dataclass`` generates them (unhashable, like
    a dataclass with ``eq=True`` that is not frozen)."""

    __slots__ = ()
    FIELDS: ClassVar[tuple[str, ...]] = ()

    def __repr__(self) -> str:
        values = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.FIELDS)
        return f"{self.__class__.__qualname__}({values})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self._values() == other._values()  # type: ignore[attr-defined]
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def _values(self) -> tuple[Any, ...]:
        return tuple([getattr(self, name) for name in self.FIELDS])


class FrozenRecord(Record):
    """A record a frozen dataclass was: hashed by its field values, as the generated ``__hash__`` is."""

    __slots__ = ()

    def __hash__(self) -> int:
        return hash(self._values())
