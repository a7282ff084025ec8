"""Uploaded files: a safe name to store each under, a content check against its extension, and storing them.

The supported types and the "is this text" decision are qa.ingest.read's (SUPPORTED_SUFFIXES, decode_bytes), so
the page accepts exactly what the indexer can read; this module adds only what is particular to uploads (the
name, the configured size limit, the content sniffing of .pdf/.docx) and says it all in Chinese.
"""

from __future__ import annotations

import unicodedata
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from qa.errors import IngestError, QAError
from qa.ingest.read import IMAGE_SUFFIXES, SUPPORTED_SUFFIXES, decode_bytes

_ACCEPTED = " ".join(SUPPORTED_SUFFIXES)
_NOT_TEXT_MAGIC = (b"%PDF", b"PK\x03\x04")  # a PDF or a zip (.docx) renamed to a text extension


def safe_filename(name: str) -> str:
    """A file name safe to store: no directories, no traversal, no control characters; Chinese kept.

    Raises:
        IngestError: when nothing usable is left of the name.
    """
    base = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*')
    base = base.strip().lstrip(".").strip()
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = stem[:100].strip() or "上传文件"
    if not base or not suffix:
        raise IngestError(f"文件名“{name}”没有扩展名；请上传 {_ACCEPTED} 文件")
    return f"{stem}.{suffix.lower()}"


def check_upload(path: Path, original_name: str, max_mb: int) -> str:
    """Check an uploaded file by its content, not only its extension; return the safe name to store it as.

    Raises:
        IngestError: too large, empty, unsupported type, or content that does not match the extension.
    """
    name = safe_filename(original_name)
    suffix = Path(name).suffix
    if suffix not in SUPPORTED_SUFFIXES:
        raise IngestError(f"“{name}”的类型 {suffix} 不支持；请上传 {_ACCEPTED} 文件")
    size = path.stat().st_size
    if size == 0:
        raise IngestError(f"“{name}”是空文件")
    if size > max_mb * 1024 * 1024:
        raise IngestError(f"“{name}”有 {size / 1048576:.1f} MB，超过上限 {max_mb} MB（QA_UPLOAD_MAX_MB）")
    data = path.read_bytes()
    if suffix == ".pdf":
        if b"%PDF" not in data[:1024]:
            raise IngestError(f"“{name}”扩展名是 .pdf，但内容不是 PDF 文件")
    elif suffix in IMAGE_SUFFIXES:
        if not data.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")):
            raise IngestError(f"“{name}”扩展名是 {suffix}，但内容不是 PNG/JPEG 图片")
    elif suffix == ".docx":
        if not zipfile.is_zipfile(path):
            raise IngestError(f"“{name}”扩展名是 .docx，但内容不是 Word 文档（旧版 .doc 请先另存为 .docx）")
        with zipfile.ZipFile(path) as archive:
            if "word/document.xml" not in archive.namelist():
                raise IngestError(f"“{name}”是压缩包但不是 Word 文档（缺少 word/document.xml）")
    else:
        not_text = IngestError(f"“{name}”扩展名是 {suffix}，但内容不是文本（可能是二进制或其他格式）")
        if data.startswith(_NOT_TEXT_MAGIC):
            raise not_text
        try:
            decode_bytes(data, name)  # the indexer's own test: BOM, UTF-8, GB18030, charset guess, control chars
        except IngestError as err:
            raise not_text from err
    return name


def store_uploads(files: Iterable[Any], folder: Path, max_mb: int) -> tuple[list[str], list[str]]:
    """Check each uploaded file and copy the good ones into ``folder``.

    Args:
        files: the upload component's value: temporary file paths (or objects with a ``name`` path).
        folder: where uploads are kept (created when missing); a file of the same name is replaced.
        max_mb: the size limit per file.

    Returns:
        The stored names, and one message per rejected file saying why.
    """
    stored, rejected = [], []
    folder.mkdir(parents=True, exist_ok=True)
    for item in files:
        src = Path(item if isinstance(item, str) else item.name)
        try:
            name = check_upload(src, src.name, max_mb)
        except QAError as err:
            rejected.append(str(err))
            continue
        (folder / name).write_bytes(src.read_bytes())  # stored as data, never executed
        stored.append(name)
    return stored, rejected


def drop_unindexed(report: Any, folder: Path, stored: list[str]) -> list[str]:
    """Delete the stored uploads the index build could not read; return the names that remain.

    A file the indexer could not read is not kept: the library lists only what can be searched.
    """
    failed = {
        Path(str(error[0] if isinstance(error, tuple | list) else error)).name
        for error in getattr(report, "errors", None) or []
    }  # exact file names: a failure of "data.txt" must not take "a.txt" with it
    for name in [n for n in stored if n in failed]:
        (folder / name).unlink(missing_ok=True)
    return [n for n in stored if n not in failed]
