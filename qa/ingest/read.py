"""Ingest: read a file's bytes into raw text (.txt .md .html .htm .pdf .docx .png .jpg .jpeg), detecting the encoding.

A PDF keeps its page breaks as form feeds (\\f) and a .docx its heading styles as HEADING_MARKS; a PDF without a text
layer and an image are read by OCR (qa.ingest.ocr) when the optional `ocr` packages are installed.

Every file is bounded before it can cost much: its size on disk; for a .docx (a zip) the number of parts, their
declared unpacked size and compression ratio, checked before anything is decompressed; for a PDF its pages; and
for every type the characters of the text it yields.
"""

from __future__ import annotations

import codecs
import io
import re
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.config import Settings
from qa.errors import IngestError, IngestWarning
from qa.ingest.markers import HEADING_MARKS, heading_kind
from qa.ingest.webpage import read_html

if TYPE_CHECKING:
    from docx.table import Table
    from docx.text.paragraph import Paragraph

IMAGE_SUFFIXES: tuple[str, ...] = (".png", ".jpg", ".jpeg")
SUPPORTED_SUFFIXES: tuple[str, ...] = (".txt", ".md", ".html", ".htm", ".pdf", ".docx", *IMAGE_SUFFIXES)
DEFAULT_MAX_BYTES = 60 * 1024 * 1024
# The resource limits read_text applies when it is given no settings: Settings' defaults, so the CLI, the app and
# a bare read_text(path) agree. QA_MAX_UNPACKED_MB, QA_MAX_ARCHIVE_ENTRIES, QA_MAX_PDF_PAGES, QA_MAX_UPLOAD_CHARS.
DEFAULT_MAX_UNPACKED_MB: int = Settings.max_unpacked_mb
DEFAULT_MAX_ARCHIVE_ENTRIES: int = Settings.max_archive_entries
DEFAULT_MAX_PDF_PAGES: int = Settings.max_pdf_pages
DEFAULT_MAX_CHARS: int = Settings.max_upload_chars
# A part of a .docx that unpacks to more than this many times its compressed size is refused (once it is over
# _RATIO_FLOOR bytes): Word's XML compresses 5-30:1, a zip bomb's ~1000:1. Not a setting: no real file needs more.
MAX_COMPRESSION_RATIO = 100
_RATIO_FLOOR = 1024 * 1024

# Fewer visible characters than this in a whole PDF means there is no usable text layer (a scan).
_MIN_PDF_CHARS = 10
# C0 control characters other than tab/newline/carriage return/form feed: a text file almost never has them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Kana, Hangul, CJK extension A, private use: rare in Chinese government text, common in mis-decoded bytes.
_IMPLAUSIBLE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\uac00-\ud7af\ue000-\uf8ff]")
# Word paragraph styles that are headings: Heading 1-9 (python-docx's names) and a Chinese Word's 标题 1-9.
_HEADING_STYLE = re.compile(r"^(?:heading|标题)\s*([1-9])$", re.IGNORECASE)


@dataclass(frozen=True)
class _Limits:
    unpacked_bytes: int = DEFAULT_MAX_UNPACKED_MB * 1024 * 1024
    entries: int = DEFAULT_MAX_ARCHIVE_ENTRIES
    pdf_pages: int = DEFAULT_MAX_PDF_PAGES
    chars: int = DEFAULT_MAX_CHARS

    @classmethod
    def of(cls, settings: Settings | None) -> _Limits:
        if settings is None:
            return cls()
        return cls(
            settings.max_unpacked_mb * 1024 * 1024,
            settings.max_archive_entries,
            settings.max_pdf_pages,
            settings.max_upload_chars,
        )


@dataclass(frozen=True)
class RawText:
    """A file's raw text and how it was read."""

    text: str
    paged: bool = False  # a PDF: each \f starts the next page, and the first page is page 1
    ocr: bool = False  # read by OCR from a scan or an image
    ocr_pages: tuple[int, ...] = ()  # when only some pages of a PDF are scans: those pages (empty: all of it)


def read_text(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, settings: Settings | None = None) -> str:
    """Read one file into raw text (`read_raw(...).text`)."""
    return read_raw(path, max_bytes=max_bytes, settings=settings).text


def read_raw(path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, settings: Settings | None = None) -> RawText:
    """Read one file into raw text.

    Args:
        path: a .txt, .md, .html, .htm, .pdf, .docx, .png, .jpg or .jpeg file.
        max_bytes: files larger than this are refused (60 MB by default).
        settings: the resource limits (max_unpacked_mb, max_archive_entries, max_pdf_pages, max_upload_chars);
            without them the DEFAULT_MAX_* constants, which are Settings' defaults.

    Returns:
        The file's text, not yet cleaned, and whether it is paged (PDF) and was read by OCR.

    Raises:
        IngestError: the file is missing, empty, too large, binary, corrupt, a PDF without a text layer or an
            image when OCR is not installed, over a resource limit, or of an unsupported type.
    """
    limits = _Limits.of(settings)
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(
            f"{path.name}：不支持的文件类型 {suffix or '（无扩展名）'!r}；请使用 {'、'.join(SUPPORTED_SUFFIXES)} 之一"
        )
    if not path.is_file():
        raise IngestError(f"{path}：文件不存在，请检查路径")
    size = path.stat().st_size
    if size == 0:
        raise IngestError(f"{path.name}：文件为空，请检查后重新提供")
    if size > max_bytes:
        raise IngestError(
            f"{path.name}：文件有 {size / 1e6:.1f} MB，超过 {max_bytes / 1e6:.0f} MB 的上限，请拆分成几个文件"
        )
    data = path.read_bytes()
    ocr = paged = False
    ocr_pages: tuple[int, ...] = ()
    if suffix == ".pdf":
        pages, ocr, ocr_pages = _read_pdf(data, path.name, limits)
        # A form feed marks each page break so the cleaner can rejoin sentences split across pages.
        text, paged = "\n\f\n".join(_unmarked(page) for page in pages), True
    elif suffix == ".docx":
        text = _read_docx(data, path.name, limits)
    elif suffix in IMAGE_SUFFIXES:
        from qa.ingest.ocr import read_image

        text, ocr = _unmarked(read_image(data, path.name)), True
    elif suffix in (".html", ".htm"):
        text = _unmarked(read_html(decode_bytes(data, path.name)))
    else:
        text = _unmarked(decode_bytes(data, path.name))
    _check_chars(len(text), path.name, limits)
    if not text.strip():
        raise IngestError(f"{path.name}：文件中没有可读取的文字，请检查文件内容")
    return RawText(text, paged=paged, ocr=ocr, ocr_pages=ocr_pages)


def _unmarked(text: str) -> str:
    """Text without the heading marks only a .docx's heading styles may set."""
    return text.translate({ord(m): None for m in HEADING_MARKS}) if any(m in text for m in HEADING_MARKS) else text


def _check_chars(n: int, name: str, limits: _Limits) -> None:
    if n > limits.chars:
        raise IngestError(
            f"“{name}”的文字超过 {limits.chars:,} 字的上限（QA_MAX_UPLOAD_CHARS），已拒收；请拆分成几个文件后再上传"
        )


def _check_archive(data: bytes, name: str, limits: _Limits) -> None:
    """Refuse a zip-based file whose parts are too many, or would unpack too large, before any is decompressed.

    The count is read from the end-of-central-directory record first, so a zip of a million empty parts is
    refused without building a million ZipInfo objects; sizes are the declared ones of the central directory,
    which bound what zipfile will ever decompress (a part whose stream is longer than declared fails its CRC).
    """
    import zipfile

    declared = _declared_entries(data)
    if declared is not None and declared > limits.entries:
        raise _too_many_entries(name, declared, limits)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as err:
        raise IngestError(
            f"{name}：文件已损坏或不是 Word 文档（{_reason(err)}），请用 Word 另存为 .docx 后再上传"
        ) from err
    if len(infos) > limits.entries:
        raise _too_many_entries(name, len(infos), limits)
    total = sum(info.file_size for info in infos)
    if total > limits.unpacked_bytes:
        raise IngestError(
            f"“{name}”解压后有 {total / 1048576:,.0f} MB，超过上限 {limits.unpacked_bytes // 1048576} MB"
            "（QA_MAX_UNPACKED_MB），已拒收；文件可能是压缩炸弹，或文档过大，请拆分后再上传"
        )
    for info in infos:
        if info.file_size > _RATIO_FLOOR and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
            ratio = info.file_size / max(info.compress_size, 1)
            raise IngestError(
                f"“{name}”中的 {info.filename} 压缩比为 {ratio:,.0f}:1，超过上限 {MAX_COMPRESSION_RATIO}:1，已拒收；"
                "文件可能是压缩炸弹，请用 Word 另存为 .docx 或 .pdf 后再上传"
            )


def _declared_entries(data: bytes) -> int | None:
    """The entry count of a zip's end-of-central-directory record (0xFFFF: a ZIP64 archive), if one is found."""
    at = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 65535))
    if at < 0 or at + 22 > len(data):
        return None
    return struct.unpack_from("<H", data, at + 10)[0]


def _too_many_entries(name: str, n: int, limits: _Limits) -> IngestError:
    count = f"{n:,}" if n < 0xFFFF else "65,535 个以上"
    return IngestError(
        f"“{name}”内含 {count} 个部件，超过上限 {limits.entries:,} 个（QA_MAX_ARCHIVE_ENTRIES），已拒收；"
        "请用 Word 另存为普通的 .docx 或 .pdf 后再上传"
    )


def decode_bytes(data: bytes, name: str) -> str:
    """Decode text bytes: BOM first, then UTF-8, then GB18030 (a superset of GBK), then charset-normalizer.

    Args:
        data: the file's bytes.
        name: the file name, for error messages.

    Raises:
        IngestError: the bytes are binary, not text in any encoding we can recognise.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return _check_text(data.decode(encoding), name)
            except UnicodeDecodeError as err:
                raise IngestError(
                    f"{name}：文件以 {encoding} 字节序标记开头，但内容不是有效的 {encoding}；请另存为 UTF-8 后重试"
                ) from err
    if b"\x00" in data[:65536]:
        utf16 = _utf16_without_bom(data)
        if utf16 is None:
            raise IngestError(f"{name}：看起来是二进制文件而不是文本，请先转换为 .txt、.docx 或 .pdf")
        return _check_text(utf16, name)
    # UTF-8 and GB18030 are tried strictly before any guessing: both are fast on a 50 MB file and a strict
    # decode of one of them succeeding is a far better signal than a statistical guess.
    try:
        return _check_text(data.decode("utf-8"), name)
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("gb18030")
        # GB18030 accepts almost any byte string; Big5 read as GB18030 comes out full of kana and rare
        # characters, so an implausible result goes to charset-normalizer instead.
        sample = text[:65536]
        if len(_IMPLAUSIBLE.findall(sample)) <= max(2, len(sample) // 200):
            return _check_text(text, name)
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:1_000_000]).best()
    if best is None or best.encoding is None:
        raise IngestError(f"{name}：无法识别文字编码，请另存为 UTF-8 后重试")
    return _check_text(data.decode(best.encoding, errors="replace"), name)


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text saved without a byte-order mark: NUL bytes sit on one parity only (the ASCII characters)."""
    sample = data[:65536]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if len(sample) % 2 or (even and odd) or not (even or odd):
        return None
    try:
        return data.decode("utf-16-be" if even else "utf-16-le")
    except UnicodeDecodeError:
        return None


def _check_text(text: str, name: str) -> str:
    sample = text[:65536]
    if sample and len(_CONTROL.findall(sample)) > max(8, len(sample) // 100):
        raise IngestError(f"{name}：看起来是二进制文件而不是文本，请先转换为 .txt、.docx 或 .pdf")
    return text


def _reason(err: Exception) -> str:
    """A library's error as one short line for the user's message."""
    text = " ".join(str(err).split()) or type(err).__name__
    return text[:160]


def _read_pdf(data: bytes, name: str, limits: _Limits) -> tuple[list[str], bool, tuple[int, ...]]:
    """The text of each page, whether OCR read any of it, and which pages when not all (see _ocr_pdf)."""
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError, PdfReadError, PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError(f"{name}：PDF 有密码保护，请先另存一份无密码的副本")
        n_pages = len(reader.pages)
        if n_pages > limits.pdf_pages:
            raise IngestError(
                f"“{name}”有 {n_pages:,} 页，超过上限 {limits.pdf_pages:,} 页（QA_MAX_PDF_PAGES），已拒收；"
                "请拆分成几个文件后再上传"
            )
        pages: list[str] = []
        scans: list[int] = []  # pages without text that hold an image: scanned pages in a typed PDF
        n_chars = 0
        for page in reader.pages:  # stop at the character limit rather than extract a huge file to the end
            pages.append(page.extract_text() or "")
            n_chars += len(pages[-1]) + 3
            _check_chars(n_chars, name, limits)
            if not pages[-1].strip() and _has_image(page):
                scans.append(len(pages) - 1)
    except IngestError:
        raise
    except LimitReachedError as err:  # pypdf's own bound on one decompressed stream
        raise IngestError(
            f"“{name}”中有数据流解压后过大（{_reason(err)}），已拒收；文件可能是压缩炸弹，请重新导出 PDF 后再上传"
        ) from err
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as err:
        raise IngestError(f"{name}：PDF 已损坏或无法读取（{_reason(err)}），请重新导出后重试") from err
    return _ocr_pdf(data, name, limits, pages, scans)


def _ocr_pdf(
    data: bytes, name: str, limits: _Limits, pages: list[str], scans: list[int]
) -> tuple[list[str], bool, tuple[int, ...]]:
    """OCR what has no text layer: the whole PDF when it has (almost) no text, else its image-only pages.

    Without the ocr packages a PDF without text is refused with how to install them, and a scanned page in a
    typed PDF is reported (IngestWarning) and left empty.
    """
    from qa.ingest import ocr

    if sum(len("".join(page.split())) for page in pages) < _MIN_PDF_CHARS:
        pages = ocr.read_scanned_pdf(data, name)  # refuses with how to install OCR when it is not installed
        _check_chars(sum(len(page) + 3 for page in pages), name, limits)
        return pages, True, ()
    if not scans:
        return pages, False, ()
    if not ocr.available():
        for i in scans:
            warnings.warn(IngestWarning(f"{name}: 第{i + 1}页是扫描图像，未读取；{ocr.INSTALL_HINT}"), stacklevel=3)
        return pages, False, ()
    for i, text in zip(scans, ocr.read_scanned_pdf(data, name, scans), strict=True):
        pages[i] = text
    _check_chars(sum(len(page) + 3 for page in pages), name, limits)
    return pages, True, tuple(i + 1 for i in scans)


def _has_image(page: Any) -> bool:
    """Whether a PDF page draws an image or a form (a scan is one big image, sometimes wrapped in a form)."""
    try:
        resources = page.get("/Resources")
        xobjects = resources.get_object().get("/XObject") if resources is not None else None
        if xobjects is None:
            return False
        kinds = {x.get_object().get("/Subtype") for x in xobjects.get_object().values()}
    except Exception:  # a malformed resource dictionary: no image to read, as far as we can tell
        return False
    return bool(kinds & {"/Image", "/Form"})


def _read_docx(data: bytes, name: str, limits: _Limits) -> str:
    import zipfile

    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    _check_archive(data, name, limits)
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as err:
        raise IngestError(
            f"{name}：.docx 文件已损坏或不是 Word 文档（{_reason(err)}），请用 Word 另存为 .docx 后再上传"
        ) from err
    lines: list[str] = []
    n_chars = 0
    # iter_inner_content keeps paragraphs and tables in reading order.
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            added = [_docx_paragraph(block)]
        elif isinstance(block, Table):
            added = [*_docx_table_rows(block), ""]
        else:
            continue
        lines.extend(added)
        n_chars += sum(len(line) + 1 for line in added)
        _check_chars(n_chars, name, limits)
    return "\n".join(lines)


def _docx_paragraph(paragraph: Paragraph) -> str:
    """A paragraph's text; a heading-styled one that has no numbering marker of its own (一、 （一） 1.) starts
    with the mark of its level (HEADING_MARKS, levels beyond the third count as the third) for structure.py."""
    text = _unmarked(paragraph.text)
    style = paragraph.style.name if paragraph.style is not None else ""
    level = _HEADING_STYLE.match((style or "").strip())
    if level is None or not text.strip() or heading_kind(text.strip()):
        return text
    return HEADING_MARKS[min(int(level.group(1)), len(HEADING_MARKS)) - 1] + text.strip()


def _docx_table_rows(table: Table) -> list[str]:
    """One tab-separated line per table row."""
    rows: list[str] = []
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            # Merged cells repeat the same cell object across the span; keep it once.
            if previous is not None and cell._tc is previous:
                continue
            previous = cell._tc
            cells.append(" ".join(cell.text.split()))
        rows.append("\t".join(cells))
    return rows
