"""Fixed applications and subaccounts shared by every seeded account, so plans can name them."""

from __future__ import annotations

from typing import Any, Final

# (app_id, app_name, answer_url host path); ids are Plivo-shaped 17-digit strings.
_APPLICATIONS: Final = (
    ("29986316244302815", "Main IVR", "https://voice.example.com/ivr/answer"),
    ("16632559604105954", "Support Queue", "https://support.example.com/plivo/answer"),
    ("20372631212782799", "Sales Routing", "https://sales.example.com/route"),
    ("30042999414609341", "SMS Autoresponder", "https://sms.example.com/answer"),
    ("13094892674577059", "Call Forward", "https://forward.example.com/answer"),
)
_SUBACCOUNTS: Final = (
    ("SAMKTG7Q2X9D4K1B8N3V", "Marketing", "2021-03-14"),
    ("SASUPP5H8J2L6P0R4T7W", "Customer Support", "2020-11-02"),
    ("SAEUOP3C6F9M1Z5Y8G2Q", "EU Operations", "2022-06-21"),
    ("SASALE0N4W7E1U3I6O9A", "Sales", "2023-01-09"),
)

APPLICATION_IDS: Final = tuple(app_id for app_id, _, _ in _APPLICATIONS)
SUBACCOUNT_IDS: Final = tuple(sa_id for sa_id, _, _ in _SUBACCOUNTS)
SUBACCOUNT_NAMES: Final = {sa_id: name for sa_id, name, _ in _SUBACCOUNTS}


def application_uri(auth_id: str, app_id: str) -> str:
    return f"/v1/Account/{auth_id}/Application/{app_id}/"


def applications(auth_id: str) -> dict[str, dict[str, Any]]:
    """app_id → Application object, shaped like Plivo's (answer/hangup/message URLs, sip_uri…)."""
    result: dict[str, dict[str, Any]] = {}
    for index, (app_id, name, answer_url) in enumerate(_APPLICATIONS):
        result[app_id] = {
            "answer_method": "POST",
            "answer_url": answer_url,
            "app_id": app_id,
            "app_name": name,
            "application_type": "XML",
            "default_app": index == 0,
            "default_endpoint_app": False,
            "enabled": True,
            "fallback_answer_url": "",
            "fallback_method": "POST",
            "hangup_method": "POST",
            "hangup_url": answer_url.rsplit("/", 1)[0] + "/hangup",
            "log_incoming_messages": True,
            "message_method": "POST",
            "message_url": answer_url.rsplit("/", 1)[0] + "/message",
            "public_uri": False,
            "resource_uri": application_uri(auth_id, app_id),
            "sip_uri": f"sip:{app_id}@app.plivo.com",
            "sub_account": None,
        }
    return result


def subaccounts(auth_id: str) -> dict[str, dict[str, Any]]:
    """auth_id → Subaccount object. Real ones carry the subaccount's auth_token; these, a fake."""
    return {
        sa_id: {
            "account": f"/v1/Account/{auth_id}/",
            "auth_id": sa_id,
            "auth_token": "EMULATED" + sa_id[2:],
            "created": created,
            "enabled": True,
            "modified": None,
            "name": name,
            "resource_uri": f"/v1/Account/{auth_id}/Subaccount/{sa_id}/",
        }
        for sa_id, name, created in _SUBACCOUNTS
    }
