"""Open zips and XML that come from other people's machines, refusing what could harm.

REFI-QDA projects (``.qdpx``) and spreadsheets (``.xlsx``) are zip archives of XML. Before
anything is read:

- a zip entry whose name is absolute, has a drive letter, or climbs out with ``..`` is
  refused (it would escape any folder it was extracted to);
- an archive whose entries expand to more than ``MAX_TOTAL_BYTES`` or any entry more
  than ``MAX_RATIO`` times its compressed size is refused (a "zip bomb");
- XML with a document type declaration is refused, so no entity can be expanded and no
  external entity (a file on this machine, a network address) is ever fetched.

Nothing is extracted to disk: entries are read into memory.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path, PurePosixPath
from xml.etree.ElementTree import Element

from narratives.errors import InputError

__all__ = ["MAX_RATIO", "MAX_TOTAL_BYTES", "check_zip", "file_kind", "parse_xml", "read_member"]

MAX_TOTAL_BYTES = 2 * 1024**3
"""Largest total uncompressed size accepted (2 GiB)."""
MAX_RATIO = 200
"""Largest compression ratio accepted for an entry of more than 1 MiB."""
_DRIVE = re.compile(r"^[A-Za-z]:")


def check_zip(path: Path) -> zipfile.ZipFile:
    """Open ``path`` as a zip after checking every entry; :class:`InputError` says why not."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"{path}: not a readable zip archive ({exc}); is the file complete?") from None
    total = 0
    for info in archive.infolist():
        name = info.filename.replace("\\", "/")
        parts = PurePosixPath(name).parts
        if name.startswith("/") or _DRIVE.match(name) or ".." in parts:
            archive.close()
            raise InputError(
                f"{path}: refused, entry '{info.filename}' would be written outside the project folder "
                "(a path-traversal entry); ask the sender to export the file again"
            )
        total += info.file_size
        if info.file_size > 1024**2 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            archive.close()
            raise InputError(
                f"{path}: refused, entry '{info.filename}' expands {info.file_size // max(info.compress_size, 1)}"
                f" times (more than {MAX_RATIO}x; a decompression bomb?)"
            )
    if total > MAX_TOTAL_BYTES:
        archive.close()
        raise InputError(f"{path}: refused, its entries expand to {total:,} bytes (more than {MAX_TOTAL_BYTES:,})")
    return archive


def read_member(archive: zipfile.ZipFile, name: str, path: Path) -> bytes:
    """The bytes of entry ``name``, reading at most its declared size (checked by :func:`check_zip`)."""
    info = archive.getinfo(name)
    with archive.open(info) as fh:
        data = fh.read(info.file_size + 1)
    if len(data) > info.file_size:
        raise InputError(f"{path}: entry '{name}' is larger than its header says; the archive is damaged")
    return data


def parse_xml(data: bytes, where: str) -> Element:
    """Parse untrusted XML: no DTD, no entities, no external references."""
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring

    try:
        return fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise InputError(
            f"{where}: refused, the XML declares a DTD or entities ({type(exc).__name__}); REFI-QDA files "
            "never need one, so this file was altered or is not what it claims"
        ) from None
    except Exception as exc:  # xml.etree.ElementTree.ParseError and friends
        raise InputError(f"{where}: not well-formed XML ({exc})") from None


KIND_NAMES = {
    "xlsx": "an Excel workbook (.xlsx)", "qdpx": "a REFI-QDA project (.qdpx)", "docx": "a Word document",
    "odt": "an OpenDocument text (.odt)", "ods": "an OpenDocument spreadsheet (.ods)", "pdf": "a PDF",
    "ole": "an old-style Office file (.doc or .xls)", "zip": "a zip archive",
}
"""What :func:`file_kind` found, in words for a message."""


def file_kind(path: Path) -> str | None:
    """What a file is by its first bytes and, for a zip, its entries; ``None`` for anything else
    (plain text such as CSV). A file is judged by what it holds, not by its name: a Word document
    renamed ``.csv`` is still a Word document, and an ``.xlsx`` saved without its suffix a workbook."""
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError:
        return None
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "ole"
    if not head.startswith(b"PK\x03\x04"):
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            names = {n.lower() for n in archive.namelist()}
            mimetype = archive.read("mimetype").decode("ascii", "replace") if "mimetype" in names else ""
    except (zipfile.BadZipFile, OSError, KeyError):
        return "zip"
    if "xl/workbook.xml" in names:
        return "xlsx"
    if any(n.endswith(".qde") for n in names):
        return "qdpx"
    if "word/document.xml" in names:
        return "docx"
    if "opendocument.spreadsheet" in mimetype:
        return "ods"
    if "opendocument.text" in mimetype:
        return "odt"
    return "zip"
