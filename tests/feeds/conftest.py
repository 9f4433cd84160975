"""Fixtures of the feed tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def place(make):
    """Two townships; two communities in one, one in the other; a venue in each community
    and one that belongs only to a township (a school)."""
    wangjing = make.township("望京街道", slug="wangjing", name_en="Wangjing Subdistrict")
    liulitun = make.township("六里屯街道", slug="liulitun")
    daxiyang = make.community(
        wangjing, "大西洋新城社区", slug="daxiyang", name_en="Daxiyangxincheng Community"
    )
    nanhu = make.community(wangjing, "南湖社区", slug="nanhu")
    xuante = make.community(liulitun, "炫特社区", slug="xuante")
    return {
        "wangjing": wangjing,
        "liulitun": liulitun,
        "daxiyang": daxiyang,
        "nanhu": nanhu,
        "xuante": xuante,
        "daxiyang_hall": make.venue(daxiyang, "大西洋新城社区服务站"),
        "nanhu_hall": make.venue(nanhu, "南湖活动室"),
        "xuante_hall": make.venue(xuante, "炫特活动室"),
        "school": make.venue(None, "望京实验学校", township=wangjing),
    }
