"""One error hierarchy for the whole toolkit.

Every error subclasses :class:`NarrativesError` *and* the built-in it most resembles,
so callers' existing ``except ValueError`` / ``except FileNotFoundError`` clauses keep
working. Messages say what is wrong, where (file, entry, field) and how to fix it.
Library code raises; only the CLI turns errors into exit codes.
"""

from __future__ import annotations

from pathlib import Path


class NarrativesError(Exception):
    """Base class of every error raised on purpose by ``narratives``."""


class ConfigError(NarrativesError, ValueError):
    """A run configuration (file or ``--set`` override) is invalid."""


class CodebookError(NarrativesError, ValueError):
    """A codebook file is malformed; the message names the file, entry and field."""

    def __init__(self, path: str | Path | None, message: str, *, entry: str | None = None,
                 field: str | None = None) -> None:
        self.path = str(path) if path is not None else None
        self.entry = entry
        self.field = field
        where = []
        if self.path:
            where.append(self.path)
        if entry:
            where.append(f"entry '{entry}'")
        if field:
            where.append(f"field '{field}'")
        prefix = ", ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class ManifestError(NarrativesError, ValueError):
    """A corpus manifest is malformed or names files that do not exist."""


class LoaderError(NarrativesError, ValueError):
    """One input file could not be read. The batch goes on; the file is skipped.

    ``reason`` is a short, user-facing sentence that ends up in the run manifest.
    """

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class ModelError(NarrativesError, RuntimeError):
    """An embedding model cannot be resolved, or its files fail verification."""


class ModelIntegrityError(ModelError):
    """A model file's sha256 differs from the one its manifest pins."""


class NotFittedError(NarrativesError, ValueError, AttributeError):
    """A fitted component (an aligner) was used before ``fit``."""


def check_fitted(component: object, attribute: str) -> None:
    """Raise :class:`NotFittedError` unless ``component`` has ``attribute``, which its ``fit`` sets
    (as scikit-learn's ``check_is_fitted``)."""
    if not hasattr(component, attribute):
        raise NotFittedError(
            f"this {type(component).__name__} is not fitted yet; call fit(codebook, embedder) first"
        )


class OutputExistsError(NarrativesError, FileExistsError):
    """The output directory exists and ``force`` was not given."""


class InputError(NarrativesError, FileNotFoundError):
    """An input path named by the user does not exist or holds no readable files."""


def describe_os_error(exc: OSError) -> str:
    """A system error (disk full, no permission, read-only disk) as what happened and what to do."""
    import errno

    where = exc.filename or "a file"
    reason = exc.strerror or str(exc)
    if exc.errno == errno.ENOSPC:
        return (f"no space left on the disk while writing {where}. Free some space, or choose a folder on "
                "another disk (--out, or --set cache=… for the cache), and run again; the files of an "
                "earlier run are untouched")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return (f"cannot write {where} ({reason}). Choose a folder you can write to (--out, or "
                "--set cache=… for the cache), or change its permissions")
    if exc.errno in (errno.EEXIST, errno.ENOTDIR):
        return (f"cannot create {where}: a file is in the way where a folder is needed ({reason}); "
                "choose another path")
    if exc.errno == errno.ENOENT:
        return f"{where}: no such file or folder; check the path"
    return f"{where}: {reason}"
