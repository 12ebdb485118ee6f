"""The one exception the emulator state raises; the HTTP layer turns it into a Plivo error body."""

from __future__ import annotations


class ApiError(Exception):
    """A request Plivo would refuse: `status` and the `error` text of the JSON body."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def not_found() -> ApiError:
    return ApiError(404, "not found")
