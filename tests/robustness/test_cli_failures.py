"""However a command fails, the user reads a paragraph and an exit code, never a traceback."""

from __future__ import annotations

import errno
import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from narratives.cli.failures import friendly_errors


def _app(error: BaseException) -> typer.Typer:
    app = typer.Typer()

    @app.command()
    @friendly_errors
    def fails() -> None:
        raise error

    @app.command()
    def other() -> None:  # a second command, so typer keeps the command name
        pass

    return app


@pytest.mark.parametrize(
    ("error", "code", "said"),
    [
        (OSError(errno.ENOSPC, "No space left on device", "/data/out/segments.csv"), 2, "no space left on the disk"),
        (PermissionError(errno.EACCES, "Permission denied", "/data/out"), 2, "cannot write /data/out"),
        (KeyboardInterrupt(), 130, "interrupted"),
        (ValueError("an unforeseen state \udcff"), 1, "bug in narratives"),
    ],
    ids=["disk-full", "no-permission", "ctrl-c", "bug"],
)
def test_failures_end_in_a_message_and_an_exit_code(error: BaseException, code: int, said: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NARRATIVES_DEBUG", raising=False)
    result = CliRunner().invoke(_app(error), ["fails"])
    assert result.exit_code == code, result.output
    assert said in result.output and "Traceback" not in result.output
    if code == 1:
        crash = Path(re.search(r"details are in (\S+):", result.output).group(1))
        assert "Traceback" in crash.read_text() and "ValueError" in crash.read_text()
        crash.unlink()


def test_debug_setting_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NARRATIVES_DEBUG", "1")
    result = CliRunner().invoke(_app(ValueError("boom")), ["fails"])
    assert isinstance(result.exception, ValueError)


def test_ctrl_c_that_a_library_turns_into_its_own_error_is_still_an_interrupt() -> None:
    """matplotlib's renderer answered Ctrl-C with "ValueError: Invalid bounding box": it was reported as
    a bug in narratives, with a crash file."""
    import os
    import signal

    app = typer.Typer()
    converted: list[bool] = []

    @app.command()
    @friendly_errors
    def draws() -> None:
        try:
            os.kill(os.getpid(), signal.SIGINT)
            for _ in range(100_000):  # the handler runs between these steps
                pass
        except KeyboardInterrupt:
            converted.append(True)
            raise ValueError("Invalid bounding box") from None

    @app.command()
    def other() -> None:
        pass

    result = CliRunner().invoke(app, ["draws"])
    assert converted == [True]
    assert result.exit_code == 130, result.output
    assert "interrupted" in result.output and "bug in narratives" not in result.output
