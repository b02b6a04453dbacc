"""Files from other machines: path traversal, decompression bombs and XML entities are refused."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from narratives.align import load_codebook
from narratives.codebook.coded import read_decisions
from narratives.coders.refi import read_project
from narratives.errors import InputError
from narratives.models import Codebook, Theme

CB = Codebook("t", (Theme("pay", "Pay", "salary"),))
QDE = (
    '<?xml version="1.0" encoding="utf-8"?>\n<Project xmlns="urn:QDA-XML:project:1.0" name="x">'
    "<Sources/></Project>"
)


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


@pytest.mark.parametrize("name", ["../escape.txt", "Sources/../../escape.txt", "/etc/evil.txt", "C:/evil.txt"])
def test_entry_escaping_the_folder_is_refused(tmp_path: Path, name: str) -> None:
    qdpx = _zip(tmp_path / "evil.qdpx", {"project.qde": QDE.encode(), name: b"x"})
    with pytest.raises(InputError, match="outside the project folder"):
        read_project(qdpx, CB)
    assert not (tmp_path.parent / "escape.txt").exists()


def test_decompression_bomb_is_refused(tmp_path: Path) -> None:
    qdpx = _zip(tmp_path / "bomb.qdpx", {"project.qde": QDE.encode(), "Sources/a.txt": b"\0" * 50_000_000})
    assert qdpx.stat().st_size < 200_000  # 50 MB of zeros compress about 1000 times
    with pytest.raises(InputError, match="decompression bomb"):
        read_project(qdpx, CB)


def test_bomb_inside_a_spreadsheet_is_refused(tmp_path: Path) -> None:
    xlsx = _zip(tmp_path / "bomb.xlsx", {"xl/workbook.xml": b"<a/>", "xl/big.xml": b" " * 50_000_000})
    with pytest.raises(InputError, match="decompression bomb"):
        read_decisions(xlsx, CB)


def test_external_entity_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("participant names", encoding="utf-8")
    xxe = (
        f'<?xml version="1.0"?>\n<!DOCTYPE p [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<Project xmlns="urn:QDA-XML:project:1.0" name="&x;"><Sources/></Project>'
    )
    qdpx = _zip(tmp_path / "xxe.qdpx", {"project.qde": xxe.encode()})
    with pytest.raises(InputError, match="DTD or entities"):
        read_project(qdpx, CB)


def test_entity_expansion_in_a_codebook_is_refused(tmp_path: Path) -> None:
    lol = (
        '<?xml version="1.0"?>\n<!DOCTYPE c [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code guid="11111111-1111-1111-1111-111111111111" '
        'name="&b;" isCodable="true"/></Codes></CodeBook>'
    )
    qdc = tmp_path / "lol.qdc"
    qdc.write_text(lol, encoding="utf-8")
    with pytest.raises(InputError, match="DTD or entities"):
        load_codebook(qdc)


def test_not_a_zip_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "broken.qdpx"
    bad.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(InputError, match=r"broken\.qdpx"):
        read_project(bad, CB)
