"""Progress lines (`Progress.parse`): any logs give a `Progress` with sane numbers, or None."""

from __future__ import annotations

import math

from hypothesis import example, given
from hypothesis import strategies as st

from replicate_ext import Progress

ODD_DIGITS = ["\u0663", "\u00b2", "\U0001d7d7"]  # Arabic-Indic 3, superscript 2, mathematical bold 9
PIECES = ["%", "|", "/", " ", "\r", "\n", "█", "▌", "it/s]", "[00:01<00:02, ", *ODD_DIGITS]
numbers = st.one_of(st.integers(min_value=0, max_value=10**6).map(str), st.sampled_from(["9" * 400, "9" * 5000]))
line_like = st.lists(st.one_of(numbers, st.sampled_from(PIECES), st.text(max_size=5)), max_size=14).map("".join)
tqdm_lines = st.builds(
    lambda pct, cur, tot, tail: f"{pct:3d}%|{'█' * (pct // 10):<10}| {cur}/{tot} {tail}",
    st.integers(0, 100),
    st.integers(0, 10**9),
    st.integers(0, 10**9),
    st.text(max_size=10).filter(lambda s: "\r" not in s and "\n" not in s),
)
logs = st.lists(st.one_of(line_like, tqdm_lines, st.text()), max_size=6).map("\n".join)


@given(st.one_of(st.none(), logs))
@example("9" * 5000 + "%|x| 1/2")  # more digits than int() converts
@example("9" * 400 + "%|x| 1/2")  # an integer too large for a float
@example(" 10%|█| 1/10\n" + "9" * 400 + "%|x| 1/2")
@example("\u0663\u0660%|\u2588\u2588| \u0663/\u0661\u0660")  # Arabic-Indic digits are digits to \d and int()
def test_any_logs_give_a_progress_or_none(text: str | None) -> None:
    progress = Progress.parse(text)
    if progress is None:
        return
    assert isinstance(progress, Progress)
    assert math.isfinite(progress.percentage) and progress.percentage >= 0
    assert type(progress.current) is int and type(progress.total) is int
    assert progress.current >= 0 and progress.total >= 0


@given(st.lists(tqdm_lines, min_size=1, max_size=5), st.sampled_from(["\n", "\r", "\r\n"]))
def test_the_last_tqdm_line_wins(lines: list[str], separator: str) -> None:
    last = lines[-1]
    percentage, rest = last.split("%|", 1)
    current, total = rest.split("| ", 1)[1].split(" ", 1)[0].split("/")
    assert Progress.parse(separator.join(lines)) == Progress(int(percentage) / 100.0, int(current), int(total))
