"""What a script sees when something goes wrong: an exit code by kind of error, no traceback."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from bulkops.cli import main, validate_cmd
from bulkops.errors import BulkopsError, ExitCode, Failed, InvalidInput, Refused, first_error


def _raising(exc: BaseException) -> object:
    def run(args: argparse.Namespace) -> int:
        raise exc

    return run


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (InvalidInput("bad input"), ExitCode.INVALID),
        (Refused("guarded"), ExitCode.REFUSED),
        (Failed("went wrong"), ExitCode.FAILED),
        (ExceptionGroup("group", [Refused("inside a task group")]), ExitCode.REFUSED),
    ],
)
def test_a_known_error_exits_with_its_class_code_and_its_message(
    exc: BaseException,
    code: ExitCode,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Each kind of bulkops error maps to its documented exit code, with its one-line message."""
    monkeypatch.setattr(validate_cmd, "run", _raising(exc))
    assert main(["validate", "x.yaml"]) == code
    err = capsys.readouterr().err
    assert str(first_error(exc)) in err
    assert "Traceback" not in err


def test_an_unexpected_error_is_an_internal_error_not_invalid_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bug (here a ValueError nobody foresaw) exits 70 and says so, asking for -vv."""
    monkeypatch.setattr(validate_cmd, "run", _raising(ValueError("bug in bulkops")))
    assert main(["validate", "x.yaml", "--json"]) == ExitCode.INTERNAL == 70
    captured = capsys.readouterr()
    assert "internal error: ValueError: bug in bulkops" in captured.err
    assert "-vv" in captured.err
    assert "Traceback" not in captured.err
    assert json.loads(captured.out) == {
        "exit_code": 70,
        "reason": "internal error: ValueError: bug in bulkops",
    }


def test_every_error_class_documents_its_exit_code() -> None:
    """The error tree drawn in bulkops.errors names every class and the code it carries."""
    import bulkops.errors as errors

    doc = errors.__doc__ or ""
    for cls in (errors.InvalidInput, errors.Refused, errors.Failed, errors.Interrupted):
        assert issubclass(cls, BulkopsError)
        line = next(line for line in doc.splitlines() if f"── {cls.__name__} " in line)
        assert str(int(cls.exit_code)) in line


def test_a_missing_plan_file_is_invalid_input(tmp_path: Path) -> None:
    """`validate` of a file that does not exist exits 2, as any bad input does."""
    assert main(["validate", str(tmp_path / "absent.yaml")]) == ExitCode.INVALID
