"""OCR time per page: a generated scanned reply (Chinese text drawn with a CJK font, saved as an image-only PDF)
read through the ingest path (qa.ingest.ocr.read_scanned_pdf: render with pypdfium2, PP-OCR via rapidocr).

    .venv/bin/python -m bench.ocr              # 3 full A4 pages, 150 dpi scan, 26 lines each
    .venv/bin/python -m bench.ocr --pages 5

Prints one JSON line: model load seconds (once per process), wall and CPU seconds per page (on a shared machine
the wall time grows with the load average, printed too), and the share of the drawn lines found again in the OCR
text (spaces ignored). Needs the ocr extra (pip install -e '.[ocr]') and a CJK font.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from pathlib import Path

FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
SENTENCES = (
    "我局高度重视基层医疗卫生服务能力建设，",
    "持续推进社区卫生服务中心标准化建设，",
    "全区已组建家庭医生团队一百二十个，",
    "重点人群签约率达到百分之七十五以上。",
    "下一步将加强全科医生培养和使用激励，",
    "完善分级诊疗制度和医疗联合体建设。",
)


def page_lines(number: int, n_lines: int = 26) -> list[str]:
    """Lines of one page of a reply, each about 28 characters, as a typed letter would have."""
    lines = [f"关于区政协五届二次会议第{number:04d}号提案的答复"]
    for i in range(n_lines - 1):
        lines.append(SENTENCES[i % len(SENTENCES)] + SENTENCES[(i + 1) % len(SENTENCES)][:10])
    return lines


def scanned_pdf(pages: int) -> tuple[bytes, list[list[str]]]:
    from PIL import Image, ImageDraw, ImageFont

    font_path = next((f for f in FONTS if Path(f).is_file()), None)
    if font_path is None:
        raise SystemExit("no CJK font found (apt-get install fonts-noto-cjk)")
    font = ImageFont.truetype(font_path, 30)  # 30 px at 150 dpi: about 14 pt, a letter's body text
    images, texts = [], []
    for number in range(1, pages + 1):
        image = Image.new("RGB", (1240, 1754), "white")  # A4 at 150 dpi
        draw = ImageDraw.Draw(image)
        lines = page_lines(number)
        for i, line in enumerate(lines):
            draw.text((110, 120 + 58 * i), line, font=font, fill="black")
        images.append(image)
        texts.append(lines)
    buffer = io.BytesIO()
    images[0].save(buffer, "PDF", resolution=150, save_all=True, append_images=images[1:])
    return buffer.getvalue(), texts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=3)
    args = parser.parse_args(argv)
    from qa.ingest import ocr

    if not ocr.available():
        raise SystemExit(f"OCR is not installed: {ocr.INSTALL_HINT}")
    data, expected = scanned_pdf(args.pages)
    started = time.perf_counter()
    ocr._engine()
    load = time.perf_counter() - started
    started, cpu = time.perf_counter(), time.process_time()
    pages = ocr.read_scanned_pdf(data, "bench.pdf")
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    found = [line in "".join(text.split()) for text, lines in zip(pages, expected, strict=True) for line in lines]
    result = {
        "pages": args.pages,
        "model_load_s": round(load, 2),
        "seconds_per_page": round(seconds / args.pages, 2),
        "cpu_seconds_per_page": round(cpu / args.pages, 2),  # all threads: the wall time on an idle machine
        "lines_found": f"{sum(found)}/{len(found)}",
        "cpus": os.cpu_count(),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
