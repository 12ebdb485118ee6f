"""Number updates the emulator refuses or accepts exactly as Plivo's docs say, over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bulkops.emulator import RunningEmulator
from tests.integration.test_emulator import Api, a_number, api_for, is_us

PROFILE = "0b7a51d2-5f3c-4a51-9d2e-8c0f1a2b3c4d"


@pytest.fixture
async def api(emulator: RunningEmulator) -> AsyncIterator[Api]:
    async with api_for(emulator) as client:
        yield client


@pytest.mark.parametrize("profile_field", [{}, {"profile_uuid": ""}])
async def test_caller_reputation_needs_profile_uuid_in_the_same_request(
    api: Api, emulator: RunningEmulator, profile_field: dict[str, str]
) -> None:
    """Enabling caller reputation on a number that already has a profile is still a 400 without
    profile_uuid in the body, and the number is left as it was."""
    number = a_number(emulator, lambda o: is_us(o) and o["profile_uuid"] is not None)
    before = dict(emulator.emulator.numbers[number])
    status, body = await api.update(number, caller_reputation="enabled", **profile_field)
    assert status == 400
    assert "profile_uuid is required" in body["error"]
    assert emulator.emulator.numbers[number] == before
    assert emulator.emulator.mutations == []


async def test_caller_reputation_with_the_numbers_own_profile_is_accepted(
    api: Api, emulator: RunningEmulator
) -> None:
    """Sending the profile the number already has, alongside caller_reputation, is accepted."""
    number = a_number(emulator, lambda o: is_us(o) and o["profile_uuid"] is not None)
    profile = emulator.emulator.numbers[number]["profile_uuid"]
    status, _ = await api.update(number, caller_reputation="enabled", profile_uuid=profile)
    assert status == 202
    assert emulator.emulator.numbers[number]["caller_reputation_status"] in ("PENDING", "ACTIVE")


@pytest.mark.parametrize("field", ["compliance_id", "compliance_application_id"])
async def test_either_compliance_spelling_links_the_compliance_application(
    api: Api, emulator: RunningEmulator, field: str
) -> None:
    """compliance_application_id works like compliance_id: GET shows the linked application."""
    number = a_number(emulator)
    status, _ = await api.update(number, **{field: "20372631212782797"})
    assert status == 202
    _, body = await api.get(f"/Number/{number}/")
    assert body["compliance_application_id"] == "20372631212782797"


async def test_both_compliance_spellings_must_agree(api: Api, emulator: RunningEmulator) -> None:
    """Both spellings with different values are a 400; with the same value, one change."""
    number = a_number(emulator)
    before = dict(emulator.emulator.numbers[number])
    status, body = await api.update(
        number, compliance_id="11111111111111111", compliance_application_id="22222222222222222"
    )
    assert status == 400
    assert "compliance_application_id" in body["error"]
    assert emulator.emulator.numbers[number] == before
    same = "33333333333333333"
    status, _ = await api.update(number, compliance_id=same, compliance_application_id=same)
    assert status == 202
    assert emulator.emulator.numbers[number]["compliance_application_id"] == same
