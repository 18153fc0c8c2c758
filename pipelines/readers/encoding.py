"""Decodes an export's bytes: BOM, strict UTF-8 (or UTF-8 with a few damaged lines), else detected (GBK family
read as GB18030)."""
from __future__ import annotations

import codecs
import re
from pathlib import Path
from typing import NamedTuple

from charset_normalizer import from_bytes

from pipelines.readers.base import FileError, line_end

# Detected legacy Chinese codecs are all subsets of GB18030, which decodes every one of them.
_WIDEN = {"gbk": "gb18030", "gb2312": "gb18030", "cp936": "gb18030", "hz": "gb18030", "big5hkscs": "big5"}
# Answers that cannot be right once strict UTF-8 failed; such a file is read as GB18030 (the usual case).
_NOT_AN_ANSWER = {"ascii", "utf8"}
_SAMPLE = 200_000
# Chinese codecs first: this pipeline's non-UTF-8 exports are mostly GBK/GB18030 (mainland) or Big5 (Taiwan,
# Hong Kong); a source whose files are something else names its encoding in sources.yaml.
_PREFERRED = ("gb18030", "big5")
# The legacy codecs exports are written in (Chinese, Western and Central European Windows, classic Mac, Japanese,
# Korean, Cyrillic): another answer of the detector for a file of ASCII lines and a few of stray bytes is a guess
_EXPORT_CODECS = {"gb18030", "gbk", "big5", "big5hkscs", "cp1252", "mac-roman", "iso8859-1", "iso8859-15",
                  "cp1250", "iso8859-2", "cp932", "shift_jis", "euc_jp", "cp949", "euc_kr", "cp1251", "koi8-r", "cp1253",
                  "cp1254", "cp1255", "cp1256", "cp874"}
_HIGH = re.compile(rb"[\x80-\xff]")
_HIGH_RUN = re.compile(rb"[\x80-\xff]+")


def _line_of(data: bytes, offset: int, codec: str) -> int:
    """The physical line of a byte offset (base.line_end): the line ends of the text before it, read in its
    codec (a UTF-16 character's byte may be 0x0A without being a line break)."""
    before = data[:offset].decode(codec, errors="replace")
    return before.count(line_end(data.decode(codec, errors="replace"))) + 1


def detect(data: bytes) -> str:
    return _detect(data)[0]


def _detect(data: bytes) -> tuple[str, str | None]:
    """The encoding detect gives, and the text when that is plain UTF-8 (read once: the reader needs it too)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", None
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):   # before UTF-16's, which begins UTF-32 LE's
        return "utf-32", None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", None
    head = data[:4096]
    if head.count(b"\x00") > len(head) // 20:  # UTF-16 without a BOM: each ASCII character has a NUL byte
        best = from_bytes(data[:_SAMPLE]).best()
        if best is not None:
            return best.encoding, None
    try:
        text = data.decode("utf-8")
        return ("gb18030", None) if _gbk_passing_for_utf8(data, text) else ("utf-8", text)
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    return _legacy(data, first_bad), None


def _legacy(data: bytes, first_bad: int) -> str:
    """The encoding of a file that is not UTF-8 (its first undecodable byte at first_bad)."""
    sample = _non_ascii_sample(data, first_bad)
    matches = list(from_bytes(sample))
    korean = _korean(sample, matches)   # first: hangul's bytes also pass the Chinese tests below
    if korean:
        return korean
    damaged_chinese = _chinese_with_damaged_lines(sample)
    if damaged_chinese:
        return damaged_chinese
    if not matches:
        return "gb18030"
    least = min(m.chaos for m in matches)
    fitting = {_canonical(m.encoding) for m in matches if m.chaos <= least + 0.1}
    # Short samples fit several codecs equally well: the likely one wins. A Chinese codec only when it reads
    # the sample as common Chinese text (GB18030 also "decodes" Latin-1 bytes, pairing é with the next byte).
    for preferred in _PREFERRED:
        if preferred in fitting and (_mostly_common_chinese(sample, preferred) or _all_chinese(sample, preferred)):
            return preferred
    # A file whose lines end at CR alone is a classic Mac one (Excel for Mac's CSV), written in Mac Roman: its
    # accented letters (ü = 0x9F) read as other characters in the Windows codecs the detector answers (Mźller)
    if b"\n" not in data and _mostly_single_high_bytes(sample):
        return "mac_roman"
    if "cp1252" in fitting or _mostly_single_high_bytes(sample):  # Latin-1 text: é between ASCII letters
        try:
            sample.decode("cp1252")
            return "cp1252"
        except UnicodeDecodeError:
            pass
    best = matches[0].encoding
    name = _canonical(best)
    if name in _NOT_AN_ANSWER:
        return "gb18030"
    return name if name in _WIDEN.values() else best  # a GBK-family answer read as its superset, GB18030


_HANGUL = re.compile("[\uac00-\ud7a3]")
_KOREAN = {"cp949", "euckr"}


def _korean(sample: bytes, matches) -> str | None:
    """cp949 for Korean text: its hangul's bytes (0xB0-0xC8 pairs) are also common GB2312 characters, so the
    Chinese test below would read a Korean export as GB18030 gibberish. Korean when the detector finds a Korean
    codec less chaotic than every Chinese one and the text it gives is mostly hangul syllables."""
    chinese = min((m.chaos for m in matches if _canonical(m.encoding) in _PREFERRED), default=float("inf"))
    for m in matches:
        if _canonical(m.encoding) in _KOREAN and m.chaos < chinese:
            try:
                wide = [c for c in sample.decode("cp949") if ord(c) > 127]
            except UnicodeDecodeError:
                return None
            # the 2,350 syllables of KS X 1001 (both bytes from 0xA1), which everyday Korean is written in; a
            # Latin-1 or Mac Roman letter before an ASCII one reads as one of cp949's rare extra syllables
            common = sum(bool(_HANGUL.match(c)) and min(c.encode("cp949")) >= 0xA1 for c in wide)
            return "cp949" if wide and common >= 0.8 * len(wide) else None
    return None


def _chinese_with_damaged_lines(sample: bytes) -> str | None:
    """The Chinese codec of a sample whose lines read as common Chinese text in it but for a few lines of bytes
    it rejects (a row cut mid-character, stray bytes): the detector, which only answers codecs that decode every
    byte, would take such a file for a single-byte codec (ISO-8859-5) and garble every row. None otherwise."""
    lines = [line for line in sample.split(b"\n") if line]
    for codec in _PREFERRED:
        bad = sum(not _decodes(line, codec) for line in lines)
        good = b"\n".join(line for line in lines if _decodes(line, codec))
        if 0 < bad <= MAX_DAMAGED_LINES and bad < len(lines) - bad and _mostly_common_chinese(good, codec):
            return codec
    return None


def _decodes(data: bytes, codec: str) -> bool:
    try:
        data.decode(codec)
        return True
    except UnicodeDecodeError:
        return False


def _mostly_single_high_bytes(sample: bytes) -> bool:
    """Whether most non-ASCII bytes stand alone between ASCII ones, as accented letters do in Latin-1 text
    (double-byte codecs write every character as two non-ASCII bytes or a non-ASCII and an ASCII one)."""
    runs = [len(run) for run in _HIGH_RUN.findall(sample)]
    return bool(runs) and sum(n == 1 for n in runs) >= 0.5 * len(runs)


def _mostly_common_chinese(sample: bytes, codec: str) -> bool:
    """Whether the sample, read with codec, is mostly common Chinese characters: GB2312's rows (both bytes from
    0xA1) for GB18030, the symbols and frequent characters (lead byte 0xA1-0xC6) for Big5. Latin-1 text read
    as either pairs an accented letter with the next character into rare ones (São -> S鉶)."""
    wide = [c.encode(codec, errors="replace") for c in sample.decode(codec, errors="replace") if ord(c) > 127]
    if codec == "gb18030":
        common = sum(len(b) == 2 and b[0] >= 0xA1 and b[1] >= 0xA1 for b in wide)
    else:
        common = sum(len(b) == 2 and 0xA1 <= b[0] <= 0xC6 for b in wide)
    return bool(wide) and common >= 0.8 * len(wide)


_CHINESE = re.compile("[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def _all_chinese(sample: bytes, codec: str) -> bool:
    """Whether the sample reads in codec as Chinese text only (ideographs, CJK punctuation, full-width forms),
    some of it common characters: a few rows of names with a rare character (喆 王, 昇 王) that the frequency
    test above leaves to Korean or Latin-1 codecs. Latin-1 text reads so only by chance: an accented letter
    before an ASCII one makes a character whose second byte is ASCII, which no common one has here."""
    try:
        text = sample.decode(codec)
    except UnicodeDecodeError:
        return False
    wide = [c for c in text if ord(c) > 127]
    if not wide or not all(_CHINESE.match(c) for c in wide):
        return False
    encoded = [c.encode(codec) for c in wide]
    if codec == "gb18030":
        return any(len(b) == 2 and b[0] >= 0xA1 and b[1] >= 0xA1 for b in encoded)
    return any(len(b) == 2 and 0xA4 <= b[0] <= 0xC6 and b[1] >= 0xA1 for b in encoded)


# Characters GBK's two-byte pairs become when they happen to be valid UTF-8 (lead 0xC2-0xDF, trail 0x80-0xBF)
# and names and addresses written in UTF-8 hardly hold: IPA, spacing modifiers, combining marks, Hebrew points,
# Syriac to NKo. Letters are left out (Latin Extended-B holds Vietnamese ơ ư and pinyin's ǎ ǐ ǒ ǔ).
_GBK_AS_UTF8 = re.compile("[\u0250-\u036f\u0591-\u05c7\u0700-\u07ff]")
_NON_ASCII = re.compile("[^\x00-\x7f]")


def _gbk_passing_for_utf8(data: bytes, text: str) -> bool:
    """Whether a file that decodes as UTF-8 is GBK all the same: a small file of a few Chinese names can be valid
    UTF-8 by chance (郑伟 in GBK reads as 'ΰ,֣'). So judged when every non-ASCII character is one GBK pairs
    become, none is Chinese, and the bytes read as GB18030 are mostly common Chinese characters."""
    wide = _NON_ASCII.findall(text[:_SAMPLE])
    if not wide or max(wide) > "\u07ff" or not any(_GBK_AS_UTF8.match(c) for c in wide):
        return False
    sample = b"\n".join(line for line in data[:_SAMPLE].split(b"\n") if _HIGH.search(line))
    return _mostly_common_chinese(sample, "gb18030")


def _canonical(name: str) -> str:
    key = name.lower().replace("-", "").replace("_", "")
    return _WIDEN.get(key, key)


def _non_ascii_sample(data: bytes, first_bad: int) -> bytes:
    """The lines holding non-ASCII bytes, from the line of the first byte UTF-8 rejects on, up to _SAMPLE bytes:
    a file of thousands of ASCII rows and a few Chinese ones is judged by the Chinese ones."""
    start = data.rfind(b"\n", 0, first_bad) + 1
    lines, size = [], 0
    for line in data[start:start + 50 * _SAMPLE].split(b"\n"):
        if _HIGH.search(line):
            lines.append(line)
            size += len(line) + 1
            if size >= _SAMPLE:
                break
    return b"\n".join(lines)


# A file is read as UTF-8 with damaged lines when at most this many lines hold bytes UTF-8 rejects and at least
# as many lines hold text only UTF-8 writes that way: a character of three or more bytes (CJK and the
# rest beyond U+0800) or an accented Latin-1 letter (é, ü, ñ: U+00C0-U+00FF). A GBK file has next to none: its
# characters are invalid UTF-8, and the few byte pairs that are valid (女 = C5 AE) read as two-byte characters
# outside those ranges (Ů).
MAX_DAMAGED_LINES = 1000
_ESCAPED = re.compile("[\udc80-\udcff]")
_UTF8_TEXT = re.compile("[\u00c0-\u00ff\u0800-\ud7ff\ue000-\U0010ffff]")


def _lines_matching(text: str, pattern: re.Pattern, stop: int, skip: set[int] = frozenset()) -> set[int]:
    """The (1-based) lines where pattern matches, up to `stop` of them, lines in skip aside."""
    found: set[int] = set()
    line, at = 1, 0
    end = line_end(text)
    for m in pattern.finditer(text):   # lines numbered as the readers number them (base.line_end)
        line += text.count(end, at, m.start())
        at = m.start()
        if line not in skip:
            found.add(line)
            if len(found) >= stop:
                break
    return found


def utf8_damage(data: bytes, text_needed: bool = True) -> dict[int, int] | None:
    """{line: offset of its first byte UTF-8 rejects} when the file is UTF-8 with a few damaged lines (a row
    cut mid-character, a row pasted from a GBK or Latin-1 file); None when it is not UTF-8 at all. A file that
    opens with UTF-8's byte order mark says it is UTF-8: its other lines need not show UTF-8 text (a file of
    English rows and one pasted GBK row)."""
    text = data.decode("utf-8", errors="surrogateescape")
    damaged = _few_damaged_lines(text)
    if not damaged:
        return None
    # As many lines of UTF-8 text (Chinese, accented letters) as damaged ones at least: a legacy file's lines are
    # almost never valid UTF-8 with such text by chance
    if text_needed and not data.startswith(codecs.BOM_UTF8) and len(
            _lines_matching(text, _UTF8_TEXT, len(damaged), damaged)) < len(damaged):
        return None
    return _first_bad_bytes(data, damaged, "utf-8")


def chinese_damage(data: bytes, codec: str) -> dict[int, int] | None:
    """{line: offset of its first byte the codec rejects} of a GB18030 or Big5 file with a few damaged lines (as
    _chinese_with_damaged_lines detects it); None when there are none, or too many."""
    damaged = _few_damaged_lines(data.decode(codec, errors="surrogateescape"))
    return _first_bad_bytes(data, damaged, codec) if damaged else None


# Where a UTF-16 or UTF-32 text's bad bytes were (a lone surrogate: no such text decodes to one), and their offsets
_BAD = "\udcff"
_bad_offsets: list[int] = []


def _mark_bad(exc: UnicodeDecodeError) -> tuple[str, int]:
    _bad_offsets.append(exc.start)
    return _BAD, exc.end


codecs.register_error("crm-mark-bad", _mark_bad)


def wide_damage(data: bytes, codec: str) -> tuple[str, dict[int, int]] | None:
    """The text (U+FFFD for bad bytes) and {line: offset of its first bad byte} of a UTF-16 or UTF-32 file with a
    few damaged lines: cut off mid-character (an odd number of bytes), a lone surrogate. Its lines are counted in
    the decoded text: such bytes cannot be split at 0x0A (上 is 0A 4E in UTF-16LE). None when there are more
    than MAX_DAMAGED_LINES."""
    _bad_offsets.clear()
    text = data.decode(codec, errors="crm-mark-bad")
    end = line_end(text)
    damaged: dict[int, int] = {}
    line, at = 1, 0
    for mark, offset in zip(re.finditer(_BAD, text), _bad_offsets):
        line += text.count(end, at, mark.start())
        at = mark.start()
        damaged.setdefault(line, offset)
    if not damaged or len(damaged) > MAX_DAMAGED_LINES:
        return None
    return text.replace(_BAD, "\ufffd"), damaged


def _few_damaged_lines(text: str) -> set[int] | None:
    """The lines of a text decoded with surrogateescape holding bytes its codec rejected; None when there are
    more than MAX_DAMAGED_LINES."""
    damaged = _lines_matching(text, _ESCAPED, MAX_DAMAGED_LINES + 1)
    return damaged if len(damaged) <= MAX_DAMAGED_LINES else None


def _first_bad_bytes(data: bytes, damaged: set[int], codec: str) -> dict[int, int]:
    """{line: byte offset of its first byte the codec rejects} of the damaged lines."""
    starts = [0] + [m.end() for m in re.finditer(re.escape(line_end(data)), data)]
    offsets = {}
    for line in sorted(damaged):
        chunk = data[starts[line - 1]:starts[line] if line < len(starts) else len(data)]
        try:
            chunk.decode(codec)
        except UnicodeDecodeError as exc:
            offsets[line] = starts[line - 1] + exc.start
    return offsets


# Bytes no text export writes: C0 controls other than tab, line feed, vertical tab, form feed, carriage return and
# the DOS end-of-file mark (0x1A). Random or compressed data holds about one in ten; text in any codec none.
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 11, 12, 13, 26)) + b"\x7f"


def looks_binary(data: bytes, sample: int = 65536) -> bool:
    """Whether the file's first bytes are binary data rather than text: over 2 % control bytes. Not asked of
    UTF-16 or UTF-32 text, which is full of zero bytes."""
    head = data[:sample]
    return bool(head) and len(head) - len(head.translate(None, _CONTROL)) > 0.02 * len(head)


def _wide(codec: str) -> bool:
    """UTF-16 or UTF-32, whose text is full of zero bytes (unknown codecs are refused later, by name)."""
    try:
        return codecs.lookup(codec).name.startswith(("utf-16", "utf-32"))
    except LookupError:
        return True


class Decoded(NamedTuple):
    text: str
    codec: str
    damaged: dict[int, int]   # {line: byte offset} of lines holding bytes the codec rejects (read as U+FFFD)


def damage_message(line: int, offset: int, codec: str = "utf-8", rest: str | None = None) -> str:
    """The error of a line holding bytes the file's codec (UTF-8; a Chinese codec: chinese_damage; UTF-16:
    wide_damage) rejects."""
    name = codecs.lookup(codec).name
    name = "UTF-8" if name.startswith("utf-8") else "Big5" if name == "big5" else name.upper()
    rest = f"; the rest of the file is {name}" if rest is None else rest
    return f"bytes not valid {name} on line {line} (byte offset {offset}){rest}"


def decode(path: Path, data: bytes, encoding: str = "auto") -> Decoded:
    """The text and the encoding used. Undeclared, a UTF-8 file with a few damaged lines is read as UTF-8 and
    those lines are reported (the reader makes each record holding one an error row), rather than the whole file
    as the legacy codec detection would guess from the damaged lines; otherwise a byte sequence the encoding
    cannot decode is a FileError naming its line."""
    codec, text = _detect(data) if encoding == "auto" else (encoding, None)
    if not _wide(codec) and looks_binary(data):
        raise FileError(path, None, "not a text file: binary data (control bytes no export writes); deliver the "
                                    "export itself")
    if text is not None:
        return Decoded(text, codec, {})
    try:
        legacy = encoding == "auto" and not codecs.lookup(codec).name.startswith(("utf-8", "utf-16", "utf-32"))
    except LookupError:
        raise FileError(path, None, f"unknown encoding '{codec}'") from None
    damaged = utf8_damage(data) if legacy else None
    if legacy and not damaged and codecs.lookup(codec).name not in _EXPORT_CODECS:
        # an ASCII file with a few lines of stray bytes, which the detector fits to an odd codec (cp1125, mac_*):
        # read as UTF-8, those lines reported, not the whole file decoded as a codec no export is written in
        damaged = utf8_damage(data, text_needed=False)
    read_as = "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"
    try:
        if not damaged:
            return Decoded(data.decode(codec), codec, {})
    except UnicodeDecodeError as exc:
        damaged = utf8_damage(data) if encoding == "auto" and codec == "utf-8-sig" else None
        if not damaged and legacy and codec in _PREFERRED:   # detected from its other lines: those are read
            damaged, read_as = chinese_damage(data, codec), codec
        wide = not damaged and encoding == "auto" and _wide(codec) and wide_damage(data, codec)
        if wide:   # a UTF-16 file cut off mid-character: its other lines are read
            return Decoded(wide[0], codec, wide[1])
        if not damaged:
            raise FileError(path, _line_of(data, exc.start, codec),
                            f"bytes not valid {codec} (byte offset {exc.start}); set the source's encoding") from None
    except LookupError:
        raise FileError(path, None, f"unknown encoding '{codec}'") from None
    return Decoded(data.decode(read_as, errors="replace"), read_as, damaged)
