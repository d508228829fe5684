"""How the dashboard shows its figures (issue 17): the heatmap's sequential scale and its legend, and the monthly
chart that draws no month without figures."""

import re

import pytest
from django.urls import reverse

from common.templatetags.report import heat_band, heat_legend, pct
from hr import reports
from hr.models import OrgMonthStat

pytestmark = pytest.mark.django_db


def test_the_heatmap_scale_has_at_least_six_steps_and_tells_53_from_59():
    bands = {heat_band(p / 100) for p in range(101)}
    assert len(bands) >= 6 and heat_band(0.53) != heat_band(0.59)
    assert heat_band(None) == "heat-none"
    steps = [int(heat_band(p / 100).split("-")[1]) for p in range(101)]
    assert steps == sorted(steps)  # sequential: a higher rate never gets a weaker step


def test_each_cell_is_shaded_as_the_legend_says_for_the_number_it_prints():
    legend = dict(heat_legend())
    for rate in [p / 1000 for p in range(1001)]:  # 0.0%, 0.1%, … so rounding at the edges is covered
        printed = int(pct(rate).rstrip("%"))
        label = legend[heat_band(rate)]
        numbers = [int(n) for n in re.findall(r"\d+", label)]
        low, high = (0, numbers[0]) if "以下" in label else (numbers[0], 100) if "以上" in label else numbers
        assert low <= printed <= high, (rate, label)


def test_the_monthly_chart_leaves_months_without_figures_out_or_as_gaps(
    client, hr_world, organization, hr_manager, cohort_blueprint
):
    # Mocks three months ago and last month; none two months ago; hr_world's own this month.
    three_ago, two_ago, last = (reports.months_back(n) for n in (4, 3, 2))
    for month, attempts, passed in ((three_ago, 4, 1), (last, 2, 2)):
        OrgMonthStat.objects.create(
            organization=organization,
            department=hr_world.sales,
            blueprint=cohort_blueprint,
            month=month,
            attempts=attempts,
            passed=passed,
            score_sum=attempts * 0.6,
        )
    client.force_login(hr_manager)
    page = client.get(reverse("hr:org_dashboard"), {"months": 12}).content.decode()
    svg = page[page.index("<svg") : page.index("</svg>")]
    labels = re.findall(r'class="chart-label"[^>]*>([^<]+)<', svg)
    assert labels[0] == f"{three_ago:%y-%m}"  # the eight empty months before are not drawn
    mock_points = re.findall(r'class="chart-marker chart-series-current"[^>]*><title>([^<]+)</title>', svg)
    assert [p.split()[1] for p in mock_points] == [f"{m:%y-%m}" for m in (three_ago, last, reports.months_back(1))]
    assert f"{two_ago:%y-%m} 0%" not in svg  # an empty month is no 0%
    assert "データなし" in page[page.index("<desc>") : page.index("</desc>")]  # said as such to screen readers
