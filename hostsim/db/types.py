"""Column types that keep money exact on every backend."""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import Enum, Numeric, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


class ExactDecimal(TypeDecorator[Decimal]):
    """A Decimal column that never passes through float.

    PostgreSQL and MariaDB store NUMERIC(precision, scale) natively. SQLite has no decimal
    type and SQLAlchemy's Numeric binds floats there, so on SQLite the canonical decimal text
    is stored instead. Floats are refused outright: money never enters as a float.
    """

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int = 20, scale: int = 4) -> None:
        super().__init__()
        self.precision = precision
        self.scale = scale
        self._quantum = Decimal(1).scaleb(-scale)

    def __repr__(self) -> str:
        # Alembic renders migrations from repr(): keep precision and scale in it.
        return f"ExactDecimal({self.precision}, {self.scale})"

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(self.precision + 2))
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        # Runs for every money value of every row a billing run writes: one as_tuple(), no
        # per-call constants.
        if value is None:
            return None
        if type(value) is not Decimal:
            if isinstance(value, float):
                raise TypeError("money must be a Decimal, never a float")
            value = Decimal(value)
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int):  # finite
            if -exponent > self.scale:
                raise ValueError(f"{value} has more than {self.scale} decimal places")
            # adjusted(): the power of ten of the leading digit, so 1E+17 counts 18 digits too.
            if value and value.adjusted() >= self.precision - self.scale:
                raise ValueError(f"{value} is too large for this column")
        if dialect.name == "sqlite":
            return format(value.quantize(self._quantum), "f")
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(str(value)).quantize(self._quantum)


def str_enum(cls: type[enum.Enum]) -> Enum:
    """A Python enum stored as its values in a VARCHAR(20) (no native ENUM type: adding a member
    is then a code change, not a schema migration on every backend)."""
    return Enum(cls, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
