"""Decodes an export's bytes: BOM, strict UTF-8, else detected (GBK family read as GB18030)."""
from __future__ import annotations

from pathlib import Path

from charset_normalizer import from_bytes

from pipelines.readers.base import FileError

# Detected legacy Chinese codecs are all subsets of GB18030, which decodes every one of them.
_WIDEN = {"gbk": "gb18030", "gb2312": "gb18030", "cp936": "gb18030", "hz": "gb18030"}


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def detect(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    best = from_bytes(data[:200_000]).best()
    name = best.encoding if best else "gb18030"
    return _WIDEN.get(name.lower().replace("-", ""), name)


def decode(path: Path, data: bytes, encoding: str = "auto") -> tuple[str, str]:
    """(text, encoding used); a byte sequence the encoding cannot decode is a FileError naming its line."""
    codec = detect(data) if encoding == "auto" else encoding
    try:
        return data.decode(codec), codec
    except UnicodeDecodeError as exc:
        raise FileError(path, _line_of(data, exc.start),
                        f"bytes not valid {codec} (byte offset {exc.start}); set the source's encoding") from None
    except LookupError:
        raise FileError(path, None, f"unknown encoding '{codec}'") from None
