"""Predict, then look: the learner commits a guess before the models reveal the answer.

>>> import hvlab as hv
>>> guess = hv.widgets.predict(
...     "How fast does one TCP/IP live migration copy memory over a 10 Gbit/s NIC (WS2012)?",
...     lambda: hv.live_migration(hv.VM(), hv.Link(gbps=10)).details["memory_rate_mib_s"],
...     unit="MiB/s", tolerance=0.15)                          # doctest: +SKIP
>>> guess.lock_in(1100).verdict                               # doctest: +SKIP

The widget shows the question, an input (a number in `unit`, or one of `choices`) and a
**Lock in my guess** button. Nothing about the answer is computed or shown before the guess is
locked in: only then is `answer_fn` called (it runs the models) and the answer revealed, with
how far off the guess was. A locked guess cannot be changed (run the cell again, or call
`reset()`, for a new attempt).
"""
from __future__ import annotations

import html
import math
import re
from typing import Any, Callable, Sequence

import ipywidgets as widgets

__all__ = ["predict", "Prediction", "parse_guess", "fmt_number"]

_NUMBER = re.compile(r"[-+]?(?:\d[\d,_]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?")
_THOUSANDS = re.compile(r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d*)?(?:[eE][-+]?\d+)?")


def parse_guess(text: str) -> float:
    """The number in a typed guess: "1100", "1,100", "1100 MiB/s", "0,62" (decimal comma),
    "4.5e2".

    Raises
    ------
    ValueError
        When the text holds no number, or more than one.
    """
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value = float(text)
    else:
        found = _NUMBER.findall(str(text))
        if len(found) != 1:
            raise ValueError(f"type one number, got {str(text)!r:.40}")
        token = found[0].replace("_", "")
        if _THOUSANDS.fullmatch(token):
            token = token.replace(",", "")
        elif token.count(",") == 1 and "." not in token:
            token = token.replace(",", ".")  # a decimal comma
        else:
            token = token.replace(",", "")
        value = float(token)
    if not math.isfinite(value):
        raise ValueError(f"type a finite number, got {text!r:.40}")
    return value


def fmt_number(value: float, unit: str = "") -> str:
    """A number with three significant figures (no exponent for everyday sizes) and its
    unit."""
    size = abs(value)
    if size >= 100:
        text = f"{value:,.0f}"
    elif size >= 10:
        text = f"{value:,.1f}"
    elif size >= 0.01 or size == 0:
        text = f"{value:.3g}"
    else:
        text = f"{value:.2e}"
    return f"{text} {unit}".strip()


class Prediction(widgets.VBox):
    """A question, an input, a "Lock in my guess" button and, once locked, the answer the
    models give and how far off the guess was (see `predict`).

    Attributes
    ----------
    guess : float, str or None
        The locked-in guess (None before).
    answer : float, str or None
        What `answer_fn` returned; None until the guess is locked in.
    revealed : bool
        Whether the answer is shown.
    result : dict
        After the reveal: guess, answer, unit, within (bool) and, for numbers, off_frac
        (guess / answer - 1) and ratio (guess / answer).
    """

    def __init__(self, question: str, answer_fn: Callable[[], Any], *, unit: str = "",
                 tolerance: float = 0.1, choices: Sequence[str] | None = None,
                 explain: str | Callable[[Any], str] | None = None):
        if not callable(answer_fn):
            raise TypeError(f"answer_fn must be a function that returns the answer, got "
                            f"{answer_fn!r:.60}")
        if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) \
                or not 0 <= tolerance < 1:
            raise ValueError(f"tolerance must be a fraction 0 <= tolerance < 1 (0.1 = within "
                             f"10 %), got {tolerance!r}")
        self.question = str(question)
        self.unit = str(unit)
        self.tolerance = float(tolerance)
        self.choices = tuple(str(c) for c in choices) if choices else ()
        if choices is not None and len(self.choices) < 2:
            raise ValueError(f"choices must offer at least two options, got {choices!r}")
        self._answer_fn = answer_fn
        self._explain = explain
        self.guess: Any = None
        self.answer: Any = None
        self.revealed = False
        self.result: dict[str, Any] = {}

        header = widgets.HTML(
            "<b>Predict, then look.</b> "
            f"<span class='hvlab-predict-question'>{html.escape(self.question)}</span>"
            + (f" <i>[{html.escape(self.unit)}]</i>" if self.unit else ""))
        if self.choices:
            self.input = widgets.RadioButtons(options=list(self.choices), value=None,
                                              layout={"width": "auto"})
            row = [self.input]
        else:
            self.input = widgets.Text(placeholder="your guess", layout={"width": "12em"})
            row = [self.input, widgets.Label(self.unit)] if self.unit else [self.input]
        self.input.add_class("hvlab-predict-input")
        self.button = widgets.Button(description="Lock in my guess", button_style="warning",
                                     icon="lock", tooltip="Commit your guess; then the models "
                                                          "show the answer")
        self.button.add_class("hvlab-predict-lock")
        self.button.on_click(lambda _: self.lock_in())
        self.feedback = widgets.HTML()
        self.feedback.add_class("hvlab-predict-reveal")
        super().__init__([header, widgets.HBox([*row, self.button]), self.feedback],
                         layout={"border": "1px solid #9ecae1", "padding": "6px 10px",
                                 "margin": "6px 0"})
        self.add_class("hvlab-predict")

    # ------------------------------------------------------------------------------------------
    def lock_in(self, guess: Any = None) -> "Prediction":
        """Lock in `guess` (or what is in the input) and reveal the answer. A guess that is
        not a number (or not one of the choices) is refused with a message and nothing is
        revealed. Returns self; `result` holds the comparison."""
        if self.revealed:
            return self
        if guess is not None:
            self.input.value = guess if self.choices else str(guess)
        raw = self.input.value
        if self.choices:
            if raw not in self.choices:
                self._show_message("Pick one of the options first.")
                return self
            value: Any = raw
        else:
            try:
                value = parse_guess(raw)
            except ValueError:
                unit = f" in {self.unit}" if self.unit else ""
                self._show_message(f"Type a number{unit} first (e.g. 250).")
                return self
        self.guess = value
        self.input.disabled = True
        self.button.disabled = True
        self.button.description = "Locked in"
        self.answer = self._answer_fn()
        self.revealed = True
        self.result = self._compare_guess(value, self.answer)
        self.feedback.value = self._reveal_text()
        return self

    def reset(self) -> "Prediction":
        """Hide the answer and unlock the input for a new guess."""
        self.guess = self.answer = None
        self.revealed = False
        self.result = {}
        self.input.disabled = self.button.disabled = False
        self.input.value = None if self.choices else ""
        self.button.description = "Lock in my guess"
        self.feedback.value = ""
        return self

    @property
    def verdict(self) -> str:
        """The reveal as plain text ("" before)."""
        return self.result.get("verdict", "")

    # ------------------------------------------------------------------------------------------
    def _show_message(self, text: str) -> None:
        self.feedback.value = f"<span style='color:#8c510a'>{html.escape(text)}</span>"

    def _compare_guess(self, guess, answer) -> dict:
        out: dict[str, Any] = {"guess": guess, "answer": answer, "unit": self.unit}
        if self.choices:
            within = str(answer) == guess
            out["within"] = within
            out["verdict"] = (f"The models say: {answer}. "
                              + ("Your guess was right." if within
                                 else f"You guessed: {guess}."))
            return out
        answer = float(answer)
        shown = fmt_number(answer, self.unit)
        mine = fmt_number(guess, self.unit)
        if answer == 0:
            within = abs(guess) <= 1e-12
            out.update(within=within, off_frac=math.nan, ratio=math.nan)
            out["verdict"] = (f"The models say: {shown}. Your guess: {mine}"
                              + (", right." if within else "."))
            return out
        ratio = guess / answer
        off = ratio - 1
        within = abs(off) <= self.tolerance
        out.update(within=within, off_frac=off, ratio=ratio)
        if within:
            how = (f"within {self.tolerance:.0%} ({abs(off):.0%} "
                   f"{'high' if off > 0 else 'low'}): well predicted.")
        elif ratio >= 2:
            how = f"{ratio:.1f} times the answer."
        elif 0 < ratio <= 0.5:
            how = f"{1 / ratio:.1f} times too small."
        else:
            how = f"{abs(off):.0%} too {'high' if off > 0 else 'low'}."
        out["verdict"] = f"The models say: {shown}. Your guess, {mine}, is {how}"
        return out

    def _reveal_text(self) -> str:
        colour = "#1a7f37" if self.result["within"] else "#a50f15"
        text = f"<div style='color:{colour}'><b>{html.escape(self.result['verdict'])}</b></div>"
        explain = self._explain(self.answer) if callable(self._explain) else self._explain
        if explain:
            text += (f"<div style='max-width:46em;color:#333;margin-top:3px'>"
                     f"{html.escape(str(explain))}</div>")
        return text


def predict(question: str, answer_fn: Callable[[], Any], *, unit: str = "",
            tolerance: float = 0.1, choices: Sequence[str] | None = None,
            explain: str | Callable[[Any], str] | None = None) -> Prediction:
    """A "predict, then look" widget: the learner commits a guess before the answer shows.

    Parameters
    ----------
    question : str
        What to predict; state every input the answer depends on.
    answer_fn : callable
        Called with no argument once the guess is locked in; runs the models and returns
        the answer (a number in `unit`, or one of `choices`). Not called before.
    unit : str
        Unit of a numeric answer, shown beside the input and the answer.
    tolerance : float
        Relative distance from the answer that counts as a good prediction [fraction].
    choices : sequence of str, optional
        Make it a choice between these options instead of a number.
    explain : str or callable, optional
        Shown after the answer; a callable gets the answer and returns the text.

    Returns
    -------
    Prediction
        The widget; ``lock_in(guess)`` does from code what the button does.
    """
    return Prediction(question, answer_fn, unit=unit, tolerance=tolerance, choices=choices,
                      explain=explain)
