"""Bytes → text for the text formats: UTF-8 first, a legacy code page only when needed.

Every loaded text is normalised the same way, so offsets mean the same thing whatever
the source: newlines are ``\\n``, the text is Unicode NFC, no-break spaces are spaces,
and invisible characters (zero-width spaces, soft hyphens, stray control codes) are gone.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from pathlib import Path

from narratives.errors import LoaderError

_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Legacy files in this field are nearly always Windows-1252 (curly quotes and dashes in
# 0x80-0x9F), and charset-normalizer's guess on a short English text is often a random
# single-byte code page (cp775, mac_roman ...). So cp1252 is used unless the detector
# names one of these non-Latin encodings, which cp1252 would turn into mojibake.
_NON_LATIN = {"cp1256", "iso8859_6", "cp1251", "koi8_r", "iso8859_5", "cp1253", "iso8859_7",
              "shift_jis", "euc_jp", "gb2312", "gb18030", "gbk", "big5", "euc_kr", "cp949",
              "utf_16", "utf_32", "cp1255", "iso8859_8"}


def normalise(text: str) -> str:
    """Newlines to ``\\n``, NFC, no-break spaces to spaces, invisible characters removed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\u00a0", " ").replace("\u202f", " ").replace("\t", " ")
    text = _INVISIBLE.sub("", text)
    return _CONTROL.sub("", text)


def looks_binary(data: bytes) -> bool:
    """True for bytes that are not text: more than a stray few NUL or other control bytes."""
    sample = data[:8192]
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    return controls > max(8, len(sample) // 50)


def utf16_without_mark(data: bytes) -> str | None:
    """``"utf-16-le"``/``"utf-16-be"`` for text saved as UTF-16 without a byte-order mark (every
    other byte NUL in Latin text, as some Windows tools write), else ``None``."""
    sample = data[:8192]
    if len(sample) < 16:
        return None
    even, odd = sample[0::2], sample[1::2]
    for encoding, zeros, other in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if zeros.count(0) > 0.7 * len(zeros) and other.count(0) < 0.05 * len(other):
            return encoding
    return None


def decode_text(path: Path, data: bytes) -> tuple[str, tuple[str, ...]]:
    """Decode a text file's bytes, returning the normalised text and any warnings.

    Raises:
        LoaderError: the file is empty, binary, or in no encoding we can recognise.
    """
    warnings: list[str] = []
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return normalise(data.decode("utf-16")), ()
        except UnicodeDecodeError as exc:
            raise LoaderError(path, f"has a UTF-16 mark but is not valid UTF-16 ({exc.reason}); "
                              "re-save it as UTF-8") from exc
    if not data.strip():
        raise LoaderError(path, "file is empty; add its text or remove it from the inputs")
    utf16 = utf16_without_mark(data)
    if utf16 is not None:
        try:
            text = data.decode(utf16)
        except UnicodeDecodeError as exc:
            raise LoaderError(path, f"looks like UTF-16 without a byte-order mark but is not valid UTF-16 "
                              f"({exc.reason}); re-save it as UTF-8") from exc
        return normalise(text), (f"decoded as {utf16.upper()} (it has no byte-order mark); re-save it as UTF-8 "
                                 "to be sure of every character",)
    if looks_binary(data):
        raise LoaderError(path, "looks like a binary file, not text; check the file suffix or "
                          "export it as .txt, .docx or .pdf")
    if b"\x00" in data:
        warnings.append(f"{data.count(0)} NUL byte(s) removed (a damaged or badly converted file?); "
                        "check the text around them")
        data = data.replace(b"\x00", b"")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text, encoding = _decode_legacy(path, data)
        warnings.append(f"decoded as {encoding}, not UTF-8; re-save the file as UTF-8 to be sure "
                        "of every character")
    return normalise(text), tuple(warnings)


def _decode_legacy(path: Path, data: bytes) -> tuple[str, str]:
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    guess = codecs.lookup(best.encoding).name.replace("-", "_") if best is not None else None
    candidates = [guess, "cp1252"] if guess in _NON_LATIN else ["cp1252", "latin_1"]
    for encoding in candidates:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise LoaderError(path, "is neither UTF-8 nor a recognisable legacy encoding; re-save it as UTF-8")
