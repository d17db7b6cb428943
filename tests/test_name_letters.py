"""The letter statistics behind a digit read inside a name: the shipped table and its build."""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

from docverify.mrz.name_letters import CONTEXT, ambiguous_digits, letter_costs
from docverify.mrz.repair import CONFUSIONS

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "src" / "docverify" / "mrz" / "data" / "name_letters.json"


def test_the_digits_read_for_several_letters_are_zero_and_one() -> None:
    assert ambiguous_digits() == {"0": "OQD", "1": "IL"}
    for digit, letters in ambiguous_digits().items():  # the repair's confusions, cheapest first
        assert "".join(a for a, _ in sorted(CONFUSIONS[digit], key=lambda ac: ac[1]) if a.isalpha()) == letters


def test_every_context_gives_each_candidate_letter_a_probability_and_they_sum_to_one() -> None:
    for digit, letters in ambiguous_digits().items():
        for a in CONTEXT:
            for b in CONTEXT:
                costs = letter_costs(digit, a if a != "?" else "7", b if b != "?" else "#")
                assert costs is not None and set(costs) == set(letters)
                assert all(c >= 0 for c in costs.values())
                assert math.isclose(sum(math.exp(-c) for c in costs.values()), 1.0, abs_tol=5e-3)


def test_a_digit_read_for_one_letter_only_has_no_table() -> None:
    assert letter_costs("8", "A", "A") is None  # 8 is only ever B


def test_an_edge_of_the_field_counts_as_a_word_boundary() -> None:
    assert letter_costs("0", "", "A") == letter_costs("0", "<", "A")


def test_the_table_beats_always_taking_the_commonest_letter_on_held_out_countries() -> None:
    held = json.loads(TABLE.read_text())["held_out"]
    assert len(held["locales"]) >= 10
    n = held["candidate_letters"]
    assert held["right"] / n >= 0.8 > held["right_first_letter_always"] / n


def test_the_shipped_table_is_what_the_build_script_makes(tmp_path: Path) -> None:
    assert importlib.util.find_spec("faker") is not None, "the dev extra pins Faker, the table's source"
    out = tmp_path / "name_letters.json"
    subprocess.run(
        [sys.executable, str(ROOT / "models" / "name_letters" / "build.py"), "--out", str(out)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    assert out.read_bytes() == TABLE.read_bytes()
