"""WCAG contrast of colours: the figures axe-core and the WCAG examples give."""

from __future__ import annotations

import pytest

from outreach.colours import contrast_ratio, darkened_to, relative_luminance


@pytest.mark.parametrize(
    ("first", "second", "ratio"),
    [
        ("#000000", "#ffffff", 21.0),
        ("#ffffff", "#ffffff", 1.0),
        ("#ef6c00", "#ffffff", 3.08),  # what axe-core reported for the demo's orange tag
        ("#767676", "#ffffff", 4.54),  # the lightest grey that passes on white
    ],
)
def test_contrast_ratio_matches_the_wcag_figures(first, second, ratio):
    assert contrast_ratio(first, second) == pytest.approx(ratio, abs=0.005)
    assert contrast_ratio(second, first) == pytest.approx(ratio, abs=0.005)


def test_relative_luminance_runs_from_black_to_white():
    assert relative_luminance("#000000") == 0
    assert relative_luminance("#FFFFFF") == pytest.approx(1)


@pytest.mark.parametrize("colour", ["#ef6c00", "#ffeb3b", "#ffffff", "#00838f", "#2e7d32"])
def test_darkened_to_gives_the_lightest_shade_of_the_same_hue_that_passes(colour):
    shade = darkened_to(colour)
    assert contrast_ratio(shade, "#ffffff") >= 4.5
    if contrast_ratio(colour, "#ffffff") >= 4.5:
        assert shade == colour
    else:
        # One step lighter would fail; the channels keep their proportions (the hue).
        lighter = "#" + "".join(f"{min(255, int(shade[i : i + 2], 16) + 3):02x}" for i in (1, 3, 5))
        assert contrast_ratio(lighter, "#ffffff") < 4.5
    assert darkened_to("#ef6c00") == "#c25700"


@pytest.mark.parametrize("colour", ["red", "#fff", "#12345g", ""])
def test_a_colour_not_written_rrggbb_is_refused(colour):
    with pytest.raises(ValueError):
        relative_luminance(colour)
