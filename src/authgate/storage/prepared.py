"""A statement compiled once for a dialect: its SQL, where each named parameter goes, and the
type conversions SQLAlchemy would apply on the way in and out. The fast paths for SQLite
(`inline.py`) and PostgreSQL (`pgfast.py`) run it on the driver directly: SQLAlchemy's execution
machinery costs several times the statement itself for the point reads and writes of a request.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Dialect


class Prepared:
    """One statement for one dialect: SQL, the parameters in order (each with its type's bind
    conversion, e.g. JSON to text) and how each result column converts back."""

    __slots__ = ("statement", "sql", "params", "columns", "converters")

    def __init__(self, statement: Any, dialect: Dialect, column_keys: list[str] | None = None) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=column_keys)
        self.statement = statement  # keeps the object alive: the cache is keyed by its id()
        self.sql = compiled.string
        self.params: list[tuple[str, Any, Any]] = []  # (name, value when not given, converter)
        for name in compiled.positiontup or ():
            bind = compiled.binds[name]
            default = bind.effective_value if not bind.required else _REQUIRED
            self.params.append((name, default, bind.type.dialect_impl(dialect).bind_processor(dialect)))
        returned = statement.exported_columns if getattr(statement, "is_select", False) or \
            getattr(statement, "_returning", ()) else ()
        self.columns = [c.key for c in returned]
        # Only the columns that need converting (JSON text, 0/1 booleans); the rest are taken as read.
        self.converters = [(c.key, convert) for c in returned
                           if (convert := c.type.dialect_impl(dialect).result_processor(dialect, None)) is not None]

    def bind(self, values: dict[str, Any]) -> list[Any]:
        out = []
        for name, default, convert in self.params:
            value = values.get(name, default)
            if value is _REQUIRED:
                raise KeyError(f"no value for parameter {name!r}")
            out.append(convert(value) if convert is not None and value is not None else value)
        return out

    def row(self, raw: tuple[Any, ...]) -> dict[str, Any]:
        row = dict(zip(self.columns, raw))
        for key, convert in self.converters:
            if row[key] is not None:
                row[key] = convert(row[key])
        return row


_REQUIRED = object()


class PreparedCache:
    """Statements built once at import (`bindparam`s, no literals), compiled on first use."""

    LIMIT = 512  # statements built per call would otherwise grow the cache without bound

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._entries: dict[Any, Prepared] = {}

    def get(self, statement: Any, column_keys: list[str] | None = None, keep: bool = True) -> Prepared:
        """`keep=False`: a statement built for one call (values as literals), compiled and not kept."""
        if not keep:
            return Prepared(statement, self.dialect, column_keys)
        key = (id(statement), tuple(column_keys) if column_keys else None)
        found = self._entries.get(key)
        if found is None or found.statement is not statement:
            found = Prepared(statement, self.dialect, column_keys)
            if len(self._entries) < self.LIMIT:
                self._entries[key] = found
        return found
