"""Small argument checks shared by the models, with messages that name the argument."""
from __future__ import annotations


def check_type(name: str, value, expected: type | tuple) -> None:
    """Raise TypeError naming `name` unless `value` is an instance of `expected`."""
    if not isinstance(value, expected):
        names = (" or ".join(f"hvlab.{t.__name__}" for t in expected)
                 if isinstance(expected, tuple) else f"hvlab.{expected.__name__}")
        raise TypeError(f"{name} must be a {names}, got {type(value).__name__} {value!r:.80}")


def check_choice(name: str, value, choices) -> None:
    """Raise ValueError naming `name` and listing `choices` unless `value` is one of them."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")


def check_seed(seed) -> None:
    """A seed is a non-negative whole number."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise TypeError(f"seed must be a non-negative int, got {seed!r}")
