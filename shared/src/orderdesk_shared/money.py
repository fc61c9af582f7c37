"""Money and percentages: Decimal throughout, rounded half-up only where a rule says so."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def round_half_up(value: Decimal, step: Decimal) -> Decimal:
    return value.quantize(step, rounding=ROUND_HALF_UP)


def to_cents(amount: Decimal) -> Decimal:
    return round_half_up(amount, CENT)


def percent_off(amount: Decimal, percent: Decimal) -> Decimal:
    """`amount` less `percent` of it, to the cent."""
    return to_cents(amount * (HUNDRED - percent) / HUNDRED)


def dollars(amount: Decimal) -> str:
    """$1,234.50"""
    return f"${amount:,.2f}"


def plain(value: Decimal) -> str:
    """12 or 12.5: as precise as the figure, without trailing zeros."""
    return f"{value.normalize():f}"


def percent(value: Decimal) -> str:
    """24% or 10.01%"""
    return f"{plain(value)}%"
