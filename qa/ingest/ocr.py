"""OCR: the text of scanned PDF pages and of images, read offline.

Optional (`pip install -e '.[ocr]'`): rapidocr-onnxruntime ships the PP-OCR Chinese detection and recognition
models inside its wheel, so nothing is downloaded at run time; pypdfium2 renders PDF pages to images. Each page's
text boxes are put back into lines in reading order (top to bottom, left to right within a line); a page in which
OCR finds no text is reported with an IngestWarning and kept as an empty page, so page numbers stay right.
"""

from __future__ import annotations

import importlib.util
import io
import warnings
from collections.abc import Iterable, Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

from qa.errors import IngestError, IngestWarning

if TYPE_CHECKING:
    from PIL.Image import Image

INSTALL_HINT = "安装 OCR 可选依赖后可识别扫描件和图片：pip install -e '.[ocr]'（rapidocr-onnxruntime、pypdfium2）"
RENDER_SCALE = 2.0  # PDF points → pixels: 144 dpi, enough for 10-point Chinese text
MAX_SIDE = 4000  # larger images are scaled down first: detection time grows with the pixel count
MAX_PIXELS = 200_000_000  # an image declaring more pixels is refused before it is decoded


def available() -> bool:
    """Whether the OCR packages are installed."""
    return all(importlib.util.find_spec(name) is not None for name in ("rapidocr_onnxruntime", "pypdfium2"))


@cache
def _engine() -> Any:
    from rapidocr_onnxruntime import RapidOCR

    return RapidOCR()


def image_text(image: Image) -> str:
    """The text of one image, one line per printed line in reading order ("" when OCR finds none)."""
    import numpy as np

    if max(image.size) > MAX_SIDE:
        image = image.copy()
        image.thumbnail((MAX_SIDE, MAX_SIDE))
    result, _ = _engine()(np.asarray(image.convert("RGB")))
    return "\n".join(_lines(result or []))


def _lines(boxes: Iterable[Any]) -> list[str]:
    """Text boxes ([corners, text, score]) → lines: boxes whose vertical middles are within half a box height of
    each other sit on one line, ordered left to right."""
    items = []
    for corners, text, _score in boxes:
        ys = [p[1] for p in corners]
        items.append(((min(ys) + max(ys)) / 2, max(ys) - min(ys), min(p[0] for p in corners), str(text).strip()))
    items.sort(key=lambda x: (x[0], x[2]))
    rows: list[list[tuple[float, float, float, str]]] = []
    for item in items:
        if rows and abs(item[0] - rows[-1][0][0]) <= max(item[1], rows[-1][0][1]) / 2:
            rows[-1].append(item)
        else:
            rows.append([item])
    return [" ".join(x[3] for x in sorted(row, key=lambda x: x[2]) if x[3]) for row in rows]


def read_image(data: bytes, name: str) -> str:
    """OCR one .png/.jpg file."""
    if not available():
        raise IngestError(f"{name}: 图片需要 OCR 才能读取文字；{INSTALL_HINT}")
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise IngestError(
                    f"{name}：图片为 {image.width}×{image.height} 像素，过大无法读取；请缩小或裁剪后再上传"
                )
            image.load()
            text = _each([image], name)
    except IngestError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as err:
        raise IngestError(
            f"{name}：图片已损坏或不是 PNG/JPEG 格式（{' '.join(str(err).split())[:160]}），请重新导出后再上传"
        ) from err
    return text[0]


def read_scanned_pdf(data: bytes, name: str, pages: list[int] | None = None) -> list[str]:
    """OCR the pages of a PDF (0-based `pages`; all of them by default): one text per page, "" for a page OCR
    could not read (reported). Reading every page and finding no text at all is an IngestError."""
    if not available():
        raise IngestError(f"{name}：PDF 没有文字层（可能是扫描件）；{INSTALL_HINT}；或提供 .docx/.txt 版本")
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as err:
        raise IngestError(f"{name}：PDF 已损坏或无法读取（{err}），请重新导出后重试") from err
    indexes = list(range(len(pdf))) if pages is None else pages
    try:
        return _each(_rendered(pdf, indexes), name, numbers=[i + 1 for i in indexes], required=pages is None)
    finally:
        pdf.close()


def _rendered(pdf: Any, indexes: list[int]) -> Iterator[Image]:
    for index in indexes:
        page = pdf[index]
        try:
            yield page.render(scale=RENDER_SCALE).to_pil()
        finally:
            page.close()


def _each(images: Iterable[Image], name: str, *, numbers: list[int] | None = None, required: bool = True) -> list[str]:
    """OCR images with a progress bar; warn about each PDF page (`numbers`) without text; when `required`, refuse
    if no image has any."""
    from tqdm import tqdm

    single = numbers is None
    texts: list[str] = []
    bar = tqdm(images, total=len(numbers or [0]), desc=f"OCR {name}", unit="页", leave=False)
    for number, image in zip(numbers or [0], bar, strict=True):
        texts.append(image_text(image))
        if not texts[-1].strip() and not single:
            warnings.warn(
                IngestWarning(f"{name}: 第{number}页 OCR 未识别出文字（空白页或图像过于模糊），请核对原件"),
                stacklevel=2,
            )
    if required and not any(t.strip() for t in texts):
        what = "OCR 未能从图片中识别出文字" if single else "PDF 没有文字层，OCR 也未识别出文字"
        raise IngestError(f"{name}：{what}；请提供更清晰的扫描件或 .docx/.txt 版本")
    return texts
