import datetime as dt
import re
from decimal import Decimal
from types import SimpleNamespace

from patients.vitals_chart import CHARTS, vitals_trend_svg

MEASURES = (
    "heart_rate",
    "systolic_bp",
    "diastolic_bp",
    "temperature_c",
    "spo2",
    "respiratory_rate",
    "weight_kg",
)
START = dt.datetime(2024, 3, 1, 8, 0, tzinfo=dt.UTC)


def reading(day: int, **values):
    return SimpleNamespace(
        recorded_at=START + dt.timedelta(days=day), **{m: values.get(m) for m in MEASURES}
    )


def full_reading(day: int, heart_rate=72):
    return reading(
        day,
        heart_rate=heart_rate,
        systolic_bp=128,
        diastolic_bp=82,
        temperature_c=Decimal("37.2"),
        spo2=97,
        respiratory_rate=16,
        weight_kg=Decimal("71.5"),
    )


def charts_of(svg: str) -> list[str]:
    return re.findall(r"<figure.*?</figure>", svg)


def test_it_draws_one_chart_per_measure_with_blood_pressure_sharing_one():
    svg = str(vitals_trend_svg([full_reading(0), full_reading(3)]))

    titles = re.findall(r'<title id="trend-[a-z0-9-]+-title">(.*?) trend</title>', svg)
    assert titles == [
        "Heart rate",
        "Blood pressure",
        "Temperature",
        "SpO₂",
        "Respiratory rate",
        "Weight",
    ]
    assert len(charts_of(svg)) == len(CHARTS)


def test_it_labels_the_axes_with_units_and_dates():
    svg = str(vitals_trend_svg([full_reading(0), full_reading(10)]))
    heart_rate = charts_of(svg)[0]

    assert ">/min</text>" in heart_rate
    assert ">Date recorded</text>" in heart_rate
    assert ">2024-03-01</text>" in heart_rate
    assert ">2024-03-06</text>" in heart_rate
    assert ">2024-03-11</text>" in heart_rate
    assert re.search(r">(60|70|80|90|100)</text>", heart_rate)


def test_it_shows_times_when_the_readings_span_less_than_two_days():
    first = full_reading(0)
    later = SimpleNamespace(**{**vars(first), "recorded_at": START + dt.timedelta(hours=6)})

    heart_rate = charts_of(str(vitals_trend_svg([first, later])))[0]

    assert ">2024-03-01 08:00</text>" in heart_rate
    assert ">14:00</text>" in heart_rate


def test_it_shades_the_normal_band_and_says_so():
    charts = charts_of(str(vitals_trend_svg([full_reading(0), full_reading(1)])))
    heart_rate, blood_pressure, weight = charts[0], charts[1], charts[-1]

    assert heart_rate.count('fill="#d1e7dd"') == 1
    assert "adult normal range 51–90" in heart_rate
    assert blood_pressure.count('fill="#d1e7dd"') == 2
    assert "shaded: adult normal range Systolic BP 111–139, Diastolic BP 60–89" in blood_pressure
    assert 'fill="#d1e7dd"' not in weight  # weight has no normal range


def test_it_gives_each_chart_a_text_alternative():
    svg = str(vitals_trend_svg([full_reading(0, heart_rate=64), full_reading(2, heart_rate=118)]))
    heart_rate = charts_of(svg)[0]

    assert 'role="img"' in heart_rate
    assert 'aria-labelledby="trend-heart-rate-title trend-heart-rate-desc"' in heart_rate
    assert (
        "Heart rate (/min): 2 readings, latest 118, range 64 to 118; adult normal range 51–90."
        " From 2024-03-01 08:00 to 2024-03-03 08:00." in heart_rate
    )


def test_it_scales_to_its_container_and_stays_within_the_content_security_policy():
    svg = str(vitals_trend_svg([full_reading(0), full_reading(1)]))

    assert 'width="100%"' in svg and 'viewBox="0 0 360 190"' in svg
    assert "style=" not in svg and "<script" not in svg


def test_it_draws_only_the_measures_that_have_readings():
    svg = str(vitals_trend_svg([reading(0, heart_rate=61)]))

    assert svg.count("<svg") == 1
    assert "<circle" in svg
    assert "Heart rate (/min): 1 readings, latest 61" in svg


def test_it_draws_a_dashed_diastolic_line_named_in_the_legend():
    blood_pressure = charts_of(str(vitals_trend_svg([full_reading(0), full_reading(1)])))[1]

    assert blood_pressure.count("<polyline") == 2
    assert 'stroke-dasharray="5 3"' in blood_pressure
    assert "Diastolic BP (dashed)" in blood_pressure


def test_it_draws_nothing_without_readings():
    assert str(vitals_trend_svg([])) == ""
    assert str(vitals_trend_svg([reading(0)])) == ""
