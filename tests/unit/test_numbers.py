"""A Plivo number object becomes the record selectors and diffs read, field by field."""

from __future__ import annotations

import pytest

from bulkops.numbers import NumberRecord, app_id_from_uri


def test_every_plivo_field_lands_in_its_own_record_field() -> None:
    obj = {
        "number": "14155550100",
        "number_type": "tollfree",
        "alias": "front desk",
        "application": "/v1/Account/MA0000000000000000001/Application/29986316/",
        "sub_account": "SA0000000000000000001",
        "voice_enabled": True,
        "sms_enabled": False,
        "mms_enabled": True,
        "renewal_date": "2026-12-20",
        "cnam_lookup": "enabled",
        "cnam": "ACME",
        "tendlc_campaign_id": "CMP123",
        "tendlc_registration_status": "COMPLETED",
        "toll_free_sms_verification": "VERIFIED",
        "compliance_application_id": "CA-1",
        "profile_uuid": "P-1",
        "caller_reputation_status": "ACTIVE",
        "region": "California, UNITED STATES",
        "added_on": "2025-01-02",
        "monthly_rental_rate": "0.80000",
    }
    expected = NumberRecord(
        number="14155550100",
        number_type="tollfree",
        alias="front desk",
        app_id="29986316",
        subaccount="SA0000000000000000001",
        voice_enabled=True,
        sms_enabled=False,
        mms_enabled=True,
        renewal_date="2026-12-20",
        cnam_lookup="enabled",
        cnam="ACME",
        tendlc_campaign_id="CMP123",
        tendlc_registration_status="COMPLETED",
        toll_free_sms_verification="VERIFIED",
        compliance_id="CA-1",
        profile_uuid="P-1",
        caller_reputation_status="ACTIVE",
        region="California, UNITED STATES",
        added_on="2025-01-02",
        monthly_rental_rate="0.80000",
    )
    record = NumberRecord.from_api(obj)
    assert record == expected
    with pytest.raises(AttributeError):
        record.alias = "changed"  # type: ignore[misc]


def test_missing_fields_read_as_empty() -> None:
    assert NumberRecord.from_api({"number": "14155550100"}) == NumberRecord("14155550100", "")


@pytest.mark.parametrize(
    ("uri", "app_id"),
    [
        ("/v1/Account/MA0000000000000000001/Application/29986316/", "29986316"),
        ("/v1/Account/MA0000000000000000001/Application/29986316", "29986316"),
        ("29986316", "29986316"),
        ("///", None),
        ("", None),
        (None, None),
    ],
)
def test_an_application_uri_gives_its_id(uri: str | None, app_id: str | None) -> None:
    assert app_id_from_uri(uri) == app_id
