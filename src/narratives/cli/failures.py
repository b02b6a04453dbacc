"""How a command ends: every failure as one paragraph and an exit code, never a traceback.

The toolkit's own errors and the system's (disk full, no permission) exit with 2; Ctrl-C with 130,
saying whether the command's results were already in place; anything else is a bug in narratives:
exit 1, with the traceback saved to a file to attach to a report (``NARRATIVES_DEBUG=1`` shows it).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import typer

F = TypeVar("F", bound=Callable[..., Any])


_ENTRY_POINT = [False]
"""True when :func:`run_as_process` runs the command: the process ends with it."""


def friendly_errors(func: F) -> F:
    """Turn every failure into a one-paragraph message and an exit code, never a traceback.

    The toolkit's own errors and the system's (disk full, no permission) exit with 2;
    Ctrl-C with 130; anything else is a bug in narratives: exit 1, with the traceback saved
    to a file to attach to a report (``NARRATIVES_DEBUG=1`` shows it instead).
    """

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import os
        import signal

        from rich.console import Console

        from narratives.errors import NarrativesError, describe_os_error
        from narratives.reports.atomic import placed

        console = Console(stderr=True)

        def fail(message: str, code: int) -> typer.Exit:
            console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
            return typer.Exit(code=code)

        already = len(placed())
        asked: list[int] = []

        def interrupt(number: int, frame: object) -> None:
            asked.append(number)
            raise KeyboardInterrupt

        failed: list[OSError] = []

        def unraisable(info: Any) -> None:
            # Ctrl-C that landed in a finalizer, where Python cannot raise it; and, once a system error is
            # reported, the same error again from a half-written file's finalizer (a zip closed on a full disk)
            if isinstance(info.exc_value, KeyboardInterrupt) or (failed and isinstance(info.exc_value, OSError)):
                return
            sys.__unraisablehook__(info)

        def interrupted() -> typer.Exit:
            if in_main:
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut this message off
            written = [str(p) for p in placed()[already:] if p.exists()]
            if written:
                return fail(
                    f"interrupted after the results were written: {', '.join(written)} "
                    f"{'holds' if len(written) == 1 else 'hold'} this command's complete results; only what "
                    "comes after them (the summary printed here) was cut short", 130,
                )
            return fail(
                "interrupted. Nothing was written to the output folder (an earlier run's files there are "
                "untouched); vectors embedded so far are kept in the cache, so running the same command "
                "again goes on from there", 130,
            )

        in_main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGINT, interrupt) if in_main else None
        previous_hook, sys.unraisablehook = sys.unraisablehook, unraisable
        try:
            value = func(*args, **kwargs)
            if asked:  # the interrupt was swallowed on the way (in a finalizer) and the command went on
                raise KeyboardInterrupt
            return value
        except typer.Exit:
            raise
        except NarrativesError as exc:
            raise fail(str(exc), 2) from None
        except OSError as exc:
            import gc

            failed.append(exc)
            chained: BaseException | None = exc
            seen: set[int] = set()
            while chained is not None and id(chained) not in seen:  # free the failed frames' open files now,
                seen.add(id(chained))  # while their errors are known
                chained.__traceback__ = None
                chained = chained.__cause__ or chained.__context__
            gc.collect()
            raise fail(describe_os_error(exc), 2) from None
        except KeyboardInterrupt:
            raise interrupted() from None
        except Exception as exc:
            if asked:  # Ctrl-C inside a library's C code, which turned it into an error of its own
                raise interrupted() from None
            if os.environ.get("NARRATIVES_DEBUG"):
                raise
            shown = str(exc).encode("utf-8", "backslashreplace").decode("utf-8")
            raise fail(f"{type(exc).__name__}: {shown}. This is a bug in narratives, not in your files; "
                       f"{save_traceback(exc)}", 1) from None
        finally:
            sys.unraisablehook = previous_hook
            if previous is not None:
                # the process ends with this command: a Ctrl-C from here on would only cut off the exit
                # code and the word already said (click answers it with "Aborted!" and exit 1)
                signal.signal(signal.SIGINT, signal.SIG_IGN if _ENTRY_POINT[0] else previous)

    return wrapper  # type: ignore[return-value]


def save_traceback(exc: BaseException) -> str:
    import tempfile
    import traceback

    try:
        with tempfile.NamedTemporaryFile("w", prefix="narratives-crash-", suffix=".txt", delete=False,
                                         encoding="utf-8", errors="backslashreplace") as fh:
            fh.write("".join(traceback.format_exception(exc)))
        return (f"the details are in {fh.name}: please attach it to an issue, once you have checked it quotes "
                "no participant's words (set NARRATIVES_DEBUG=1 to see them here)")
    except OSError:
        return "run again with NARRATIVES_DEBUG=1 to see the details, and please report them"


def run_as_process(app: Callable[[], Any]) -> None:
    """Run the typer ``app`` as this process's whole work (the console script)."""
    import signal

    _ENTRY_POINT[0] = True
    try:
        app()
    finally:
        # the command has said how it ended; a Ctrl-C while Python shuts down would kill the process
        # by the signal with no word, as if nothing had been finished
        signal.signal(signal.SIGINT, signal.SIG_IGN)
