"""The seeded inventory's rental dates: a few numbers were rented recently, the rest long ago."""

from __future__ import annotations

import datetime

from bulkops.emulator import Emulator, EmulatorConfig

TODAY = datetime.date(2026, 5, 1)


def _added(numbers: int, seed: int) -> list[datetime.date]:
    emu = Emulator(EmulatorConfig(numbers=numbers, seed=seed, today=TODAY))
    return [datetime.date.fromisoformat(obj["added_on"]) for obj in emu.numbers.values()]


def test_about_four_percent_of_numbers_were_rented_in_the_last_30_days() -> None:
    """Roughly 4 % of numbers have added_on 0-29 days ago; none is exactly 30 days old."""
    ages = [(TODAY - day).days for day in _added(5000, 3)]
    recent = [age for age in ages if age < 30]
    assert 0.03 <= len(recent) / len(ages) <= 0.05
    assert 30 not in ages
    assert min(ages) >= 0
    assert min(age for age in ages if age > 30) == 31


def test_a_default_sized_inventory_has_recent_and_old_numbers() -> None:
    """A 200-number inventory has a handful of recently rented numbers for guards to protect."""
    for seed in (1, 2, 7):
        ages = [(TODAY - day).days for day in _added(200, seed)]
        assert 1 <= sum(age < 30 for age in ages) <= 20
        assert sum(age > 30 for age in ages) >= 180


def test_a_recent_number_renews_a_month_after_it_was_added() -> None:
    """A number rented in the last 30 days is first billed 30 days after its added_on."""
    emu = Emulator(EmulatorConfig(numbers=1000, seed=5, today=TODAY))
    recent = [
        obj
        for obj in emu.numbers.values()
        if (TODAY - datetime.date.fromisoformat(obj["added_on"])).days < 30
    ]
    assert recent
    for obj in recent:
        added = datetime.date.fromisoformat(obj["added_on"])
        assert obj["renewal_date"] == (added + datetime.timedelta(days=30)).isoformat()


def test_rental_dates_are_deterministic_for_numbers_seed_and_today() -> None:
    """The same (numbers, seed, today) gives the same added_on for every number."""
    assert _added(300, 9) == _added(300, 9)
