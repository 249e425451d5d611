"""hv.widgets.predict: nothing is computed or shown before the guess is locked in; then the
models' answer is revealed with how far off the guess was. Driven from Python, no browser."""
from __future__ import annotations

import ipywidgets as widgets
import pytest

import hvlab as hv
from hvlab.params import MIB
from hvlab.widgets.prediction import fmt_number, parse_guess


def _counting(value):
    calls = []

    def answer():
        calls.append(1)
        return value

    return answer, calls


def test_a_widget_with_input_button_and_nothing_revealed_before_the_guess():
    answer, calls = _counting(476.8)
    p = hv.widgets.predict("How fast?", answer, unit="MiB/s", tolerance=0.15)
    assert isinstance(p, widgets.VBox) and "hvlab-predict" in p._dom_classes
    assert isinstance(p.input, widgets.Text) and p.button.description == "Lock in my guess"
    assert calls == [] and p.answer is None and not p.revealed
    assert p.feedback.value == "" and "477" not in repr(p.children[0].value)


def test_the_button_locks_the_guess_then_the_models_answer_shows():
    answer, calls = _counting(476.8)
    p = hv.widgets.predict("How fast?", answer, unit="MiB/s", tolerance=0.15,
                           explain=lambda a: f"one stream: {a:.0f} MiB/s")
    p.input.value = "1,100 MiB/s"
    p.button.click()
    assert calls == [1] and p.revealed and p.guess == 1100 and p.answer == 476.8
    assert p.input.disabled and p.button.disabled
    assert p.result["within"] is False and p.result["ratio"] == pytest.approx(1100 / 476.8)
    assert "477 MiB/s" in p.feedback.value and "2.3 times" in p.feedback.value
    assert "one stream: 477 MiB/s" in p.feedback.value
    p.lock_in(10)  # locked: a second guess changes nothing, the models are not run again
    assert p.guess == 1100 and calls == [1]


@pytest.mark.parametrize("guess, within, words", [
    (450, True, "within 15% (6% low)"), (520, True, "(9% high)"), (300, False, "37% too low"),
    (200, False, "2.4 times too small"), (700, False, "47% too high")])
def test_how_far_off_is_said_in_words(guess, within, words):
    p = hv.widgets.predict("q", lambda: 476.8, unit="MiB/s", tolerance=0.15).lock_in(guess)
    assert p.result["within"] is within and words in p.verdict


def test_a_guess_that_is_not_a_number_reveals_nothing():
    answer, calls = _counting(3.0)
    p = hv.widgets.predict("q", answer, unit="s")
    p.lock_in("about a minute")
    assert not p.revealed and calls == [] and "Type a number in s" in p.feedback.value
    assert not p.button.disabled
    p.lock_in("2,5")  # a decimal comma
    assert p.guess == 2.5 and p.revealed


def test_choices_and_reset():
    answer, calls = _counting("the writer")
    p = hv.widgets.predict("Which slows it?", answer,
                           choices=["the reader", "the writer", "both the same"])
    assert isinstance(p.input, widgets.RadioButtons) and p.input.value is None
    p.button.click()
    assert not p.revealed and "Pick one" in p.feedback.value
    p.lock_in("the reader")
    assert p.revealed and p.result["within"] is False and "the writer" in p.verdict
    p.reset()
    assert not p.revealed and p.input.value is None and not p.button.disabled
    p.lock_in("the writer")
    assert p.result["within"] is True and "right" in p.verdict and calls == [1, 1]


def test_the_answer_comes_from_the_models_at_reveal_time():
    # one TCP live migration over 10 GbE with WS2012: the 4 Gbit/s stream limit
    p = hv.widgets.predict(
        "One TCP/IP live migration over a 10 Gbit/s NIC, WS2012: copy rate?",
        lambda: hv.live_migration(hv.VM(), hv.Link(gbps=10), hv.WS2012)
        .details["memory_rate_mib_s"], unit="MiB/s")
    p.lock_in(1132)
    assert p.answer == pytest.approx(4e9 / 8 / MIB, rel=1e-9)
    assert p.result["within"] is False


@pytest.mark.parametrize("bad", [dict(tolerance=1.5), dict(tolerance=-0.1),
                                 dict(choices=["only one"])])
def test_bad_arguments_are_refused(bad):
    with pytest.raises(ValueError):
        hv.widgets.predict("q", lambda: 1, **bad)
    with pytest.raises(TypeError, match="answer_fn"):
        hv.widgets.predict("q", 42)


@pytest.mark.parametrize("text, value", [("1100", 1100), ("1,100", 1100), ("1 100", None),
                                         ("4.5e2", 450), ("0,62", 0.62), ("  72.6 s", 72.6),
                                         ("-3", -3), ("", None), ("abc", None)])
def test_parse_guess(text, value):
    if value is None:
        with pytest.raises(ValueError):
            parse_guess(text)
    else:
        assert parse_guess(text) == pytest.approx(value)


@pytest.mark.parametrize("value, text", [(476.84, "477 MiB/s"), (72.61, "72.6 MiB/s"),
                                         (0.6201, "0.62 MiB/s"), (2.21, "2.21 MiB/s"),
                                         (1234.5, "1,234 MiB/s"), (0.0012, "1.20e-03 MiB/s")])
def test_fmt_number(value, text):
    assert fmt_number(value, "MiB/s") == text


def test_shows_in_a_notebook_before_and_after_the_reveal():
    # a notebook displays the widget: its repr and mimebundle must work in every state
    p = hv.widgets.predict("q", lambda: 3.0, unit="s")
    assert "Prediction" in repr(p) and p._repr_mimebundle_() is not None
    p.lock_in(3)
    assert "Prediction" in repr(p) and p.result["within"]
