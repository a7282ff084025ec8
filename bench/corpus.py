"""Corpus scaler: realistic larger corpora of reply files, re-combined and perturbed from the seeds.

Each generated file is a reply (or, like seed 000, a file holding several replies) in the seeds' own layout:
agency line, 文号, "对…会议第N号提案/建议的答复", salutation, opening, numbered sections taken from the
seeds, closing, contacts and date. Sections are real seed sections with their agencies, numbers, names and
dates perturbed, so the chunks the real pipeline cuts from them have the length and vocabulary of real replies.

File i depends only on (seed, i), so a corpus of N chunks is a prefix of the corpus of 10N chunks and a rerun
writes the same bytes. The chunk count is measured by the project's own parser and splitter.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

HEADING = re.compile(r"^(?:[一二三四五六七八九十]+、|[（(][一二三四五六七八九十]+[）)]|第[一二三四五六七八九十]+章)")
TOC_LINE = re.compile(r"\.{4,}|…{2,}|-\s*\d+\s*-\s*$")
NUMBER = re.compile(r"\d+(?:\.\d+)?")
SEED_PLACES = ("江夏", "江汉", "武昌", "东西湖", "咸宁", "赤壁", "崇阳", "通山")
# Wuhan's districts and Hubei's cities: the places a city-wide deployment would hold replies from.
DISTRICTS = (
    *"江岸区 江汉区 硚口区 汉阳区 武昌区 青山区 洪山区 东西湖区 蔡甸区 江夏区 黄陂区 新洲区".split(),  # noqa: SIM905
    *"汉南区 黄石市 十堰市 宜昌市 襄阳市 鄂州市 荆门市 孝感市 荆州市 黄冈市 咸宁市 随州市".split(),  # noqa: SIM905
)
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余杜叶程魏苏吕丁任沈姚卢钟严汤宗"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玲红文斌辉建国莉萍丹欣蕾晨宇浩然思远志鹏雪梅海燕春兰国庆小青"
NUMERALS = "一二三四五六七八九十"
OPENINGS = (
    "您提出的关于{topic}的提案收悉。非常感谢您对我{level}卫生健康工作的关心和支持，现就有关问题答复如下：",
    "您提出的《关于{topic}的建议》已收悉，按照{level}人民政府的要求和部署，我局组织相关业务科室认真研究办理。现答复如下：",
    "您提出的关于{topic}的意见和建议收悉，我们会同相关部门进行了认真研究，现答复如下：",
)
CLOSINGS = (
    "下一步，我局将继续加大工作力度，认真落实各项措施，推动相关工作取得新成效。",
    "最后，感谢您对我{level}{topic}工作的关心，希望今后继续对我{level}相关工作建言献策。",
    "感谢您对卫生健康事业的关心和支持，欢迎继续提出宝贵意见和建议。",
)


@dataclass(frozen=True)
class SeedSection:
    """A heading and its paragraphs as they stand in a seed file."""

    heading: str
    paragraphs: tuple[str, ...]


@dataclass
class SeedPool:
    """Material harvested from the seeds: sections to re-combine and topics to name proposals after."""

    sections: list[SeedSection] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)


def _is_noise(line: str) -> bool:
    """Page letters and numbers, TOC lines and contact lines are layout, not section text."""
    return len(line) <= 3 or bool(TOC_LINE.search(line)) or "联系电话" in line


def harvest(seeds_dir: Path) -> SeedPool:
    """Collect every headed section of the seed files (body paragraphs of at least 30 characters).

    Args:
        seeds_dir: folder holding the seed .txt files.

    Returns:
        The sections and a list of topics (section headings without their numbering).
    """
    pool = SeedPool()
    for path in sorted(seeds_dir.glob("*.txt")):
        heading, paragraphs = "", []
        for raw in path.read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if not line or _is_noise(line):
                continue
            match = HEADING.match(line)
            if match and len(line) <= 60:
                if heading and paragraphs:
                    pool.sections.append(SeedSection(heading, tuple(paragraphs)))
                heading, paragraphs = line[match.end() :].strip(), []
                pool.topics.append(heading)
            elif len(line) >= 30:
                # A heading run into its own paragraph ("一、加强城乡联动机制。每个…") becomes heading + body.
                if match and "。" in line[:40]:
                    if heading and paragraphs:
                        pool.sections.append(SeedSection(heading, tuple(paragraphs)))
                    head, _, body = line[match.end() :].partition("。")
                    heading, paragraphs = head.strip(), [body.strip()] if body.strip() else []
                    pool.topics.append(heading)
                elif heading:
                    paragraphs.append(line)
        if heading and paragraphs:
            pool.sections.append(SeedSection(heading, tuple(paragraphs)))
    pool.topics = [t for t in dict.fromkeys(pool.topics) if 6 <= len(t) <= 30]  # not 基本情况
    return pool


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def _numeral(n: int) -> str:
    return NUMERALS[n - 1] if n <= 10 else "十" + NUMERALS[n - 11]


def _perturb_number(rng: random.Random, match: re.Match[str], year_shift: int) -> str:
    text = match.group(0)
    if "." in text:
        return f"{float(text) * rng.uniform(0.7, 1.4):.{len(text.split('.')[1])}f}"
    value = int(text)
    if 2010 <= value <= 2030 and len(text) == 4:
        return str(value + year_shift)  # years move together, so a section stays internally consistent
    if value <= 12:
        return text  # small counts and months read wrong when scaled (第1批, 6月)
    return str(max(1, round(value * rng.uniform(0.6, 1.6))))


def perturb(text: str, rng: random.Random, place: str, year_shift: int) -> str:
    """Swap the seeds' place names for this document's, scale numbers and shift years."""
    for seed_place in SEED_PLACES:
        text = text.replace(seed_place, place)
    return NUMBER.sub(lambda m: _perturb_number(rng, m, year_shift), text)


def render_reply(pool: SeedPool, rng: random.Random) -> str:
    """One reply in the seeds' layout with 2–6 numbered sections drawn from the pool."""
    district = rng.choice(DISTRICTS)
    place, level = district[:-1], district[-1]
    year = rng.randint(2020, 2025)
    year_shift = year - 2024
    is_cppcc = rng.random() < 0.6
    term, sitting = _numeral(rng.randint(5, 16)), _numeral(rng.randint(1, 5))
    number = str(year * 10000 + rng.randint(1, 300)) if rng.random() < 0.4 else f"{rng.randint(1, 320):03d}"
    topic = rng.choice(pool.topics)
    proposers = [_name(rng) for _ in range(rng.choice((1, 1, 1, 2, 3)))]
    agency = f"武汉市{district}卫生健康局" if level == "区" else f"{district}卫生健康委员会"
    abbrev = place[:1]
    if is_cppcc:
        heading = f"对{level}政协{term}届{sitting}次会议第{number}号提案的答复"
        salutation = "、".join(proposers) + "委员："
    else:
        heading = f"对{level}{term}届人大{sitting}次会议第{number}号建议的答复"
        salutation = "、".join(proposers) + "代表："
    lines = [agency, f"{abbrev}卫函〔{year}〕{rng.randint(1, 120)}号", heading, salutation]
    lines.append(rng.choice(OPENINGS).format(topic=topic, level=level))
    for i, section in enumerate(rng.sample(pool.sections, rng.randint(2, 6)), start=1):
        lines.append(f"{_numeral(i)}、{perturb(section.heading, rng, place, year_shift)}")
        keep = section.paragraphs[: rng.randint(1, len(section.paragraphs))]
        lines.extend(perturb(p, rng, place, year_shift) for p in keep)
    lines.append(rng.choice(CLOSINGS).format(topic=topic, level=level))
    phone = lambda: f"8{rng.randint(1000000, 9999999)}"  # noqa: E731 - two uses, local
    lines.append(f"主管领导姓名 {_name(rng)} 联系电话 {phone()}")
    lines.append(f"经办人姓名 {_name(rng)} 联系电话 {phone()}")
    lines.append(agency)
    lines.append(f"{year}年{rng.randint(5, 9)}月{rng.randint(1, 28)}日")
    return "\n\n".join(lines) + "\n"


def render_file(pool: SeedPool, seed: int, ordinal: int) -> str:
    """File `ordinal` of the corpus for `seed`: usually one reply, sometimes several like seed 000."""
    rng = random.Random(seed * 1_000_003 + ordinal)
    count = rng.choice((1, 1, 1, 1, 1, 1, 2, 3, 4))
    return "\n\n\n".join(render_reply(pool, rng) for _ in range(count))


@dataclass
class ScaledCorpus:
    """Files written for one target size and the chunk count the real splitter cut from them."""

    target: int
    files: list[Path]
    chunks: int
    chars: int


def iter_files(pool: SeedPool, seed: int, out_dir: Path) -> Iterator[Path]:
    """Write file 0, 1, 2, … of the corpus into out_dir (reusing a file already there with the same bytes)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    ordinal = 0
    while True:
        path = out_dir / f"reply_{seed}_{ordinal:06d}.txt"
        text = render_file(pool, seed, ordinal)
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        yield path
        ordinal += 1


def scale(
    seeds_dir: Path,
    out_dir: Path,
    targets: list[int],
    count_chunks: Callable[[Path], int],
    *,
    seed: int = 42,
    exact_up_to: int = 20_000,
) -> list[ScaledCorpus]:
    """Write files until each target chunk count is reached; smaller corpora are prefixes of larger ones.

    Chunks are counted with the real pipeline up to `exact_up_to`; past that the files still needed are
    estimated from the chunks per file seen so far (parsing 100k chunks only to count them would cost minutes
    of the benchmark budget); the build then reports the exact count.

    Args:
        seeds_dir: the real seed documents.
        out_dir: where the generated files go.
        targets: chunk counts wanted, e.g. [1000, 10000, 100000].
        count_chunks: chunks the project's pipeline cuts from one file (parse + clean + split).
        seed: corpus seed; the same seed writes the same files.
        exact_up_to: count exactly while the corpus has fewer chunks than this.

    Returns:
        One ScaledCorpus per target, in ascending order (chunks is estimated for targets past exact_up_to).
    """
    pool = harvest(seeds_dir)
    results: list[ScaledCorpus] = []
    files: list[Path] = []
    chunks = 0.0
    chars = 0
    pending = sorted(targets)
    for path in iter_files(pool, seed, out_dir):
        if not pending:
            break
        files.append(path)
        chars += len(path.read_text(encoding="utf-8"))
        exact = chunks < exact_up_to or len(files) < 50
        chunks += count_chunks(path) if exact else chunks / (len(files) - 1)
        while pending and chunks >= pending[0]:
            results.append(ScaledCorpus(pending.pop(0), list(files), round(chunks), chars))
    return results
