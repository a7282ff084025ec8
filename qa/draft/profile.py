"""Who is replying: the bureau's name, territory and contacts, from Settings, with placeholders for the rest."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa.config import Settings
from qa.records import Precedent
from qa.text import PLACE_LEVELS

# An agency's own place: one to four characters before its level, provinces included (湖北省, 江夏区).
PLACE_RE = re.compile(rf"[\u4e00-\u9fa5]{{1,4}}?[省{PLACE_LEVELS}]")


def home_place(agency: str) -> str:
    """The district or city an agency serves: 武汉市江夏区卫生健康局 → 江夏区; "" when it names none."""
    places = PLACE_RE.findall(agency)
    return places[-1] if places else ""


@dataclass(frozen=True)
class Profile:
    """The replying bureau: from Settings, with 〔待填写：…〕 for whatever is not configured."""

    agency: str
    place: str  # the district/city whose facts the draft may state as its own, e.g. 江夏区
    leader: str
    leader_phone: str
    handler: str
    handler_phone: str

    @classmethod
    def from_settings(cls, settings: Settings, precedents: Sequence[Precedent]) -> Profile:
        """Missing fields become placeholders. Without a configured agency the draft takes the top reply's
        district as home for adapting facts (the archive is most likely the user's own), never for the header."""
        place = home_place(settings.agency_name)
        if not place:
            replies = [p for p in precedents if p.meta.agency]
            place = home_place(replies[0].meta.agency) if replies else ""

        def fill(value: str, what: str) -> str:
            return value.strip() or f"〔待填写：{what}〕"

        return cls(
            agency=fill(settings.agency_name, "单位名称"),
            place=place,
            leader=fill(settings.agency_leader, "主管领导"),
            leader_phone=fill(settings.agency_leader_phone, "主管领导电话"),
            handler=fill(settings.agency_handler, "经办人"),
            handler_phone=fill(settings.agency_handler_phone, "经办人电话"),
        )

    @property
    def we(self) -> str:
        """我区 / 我市 / 我县: how the reply names its own territory."""
        return "我" + (self.place[-1] if self.place else "区")

    @property
    def org(self) -> str:
        """局 or 委: how the reply names its own bureau."""
        return "委" if re.search(r"委员会|卫健委$", self.agency) else "局"
