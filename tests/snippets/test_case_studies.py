"""The four case studies: the behaviour of their sizing snippets, and the agreement between
each snippet's assumptions, its page, the claims its prose makes about the output, and its filled
canvas (valid, complete, fitting its PDF cells).

Payment fraud and content moderation each pick a threshold for a review queue; ad click-through
prediction and the home-feed recommender rank. Their pages are written differently (an
assumption table with the names in the code, or a table of key/value rows), so each pair has its
own readers below."""

import json
import math
import re

import numpy as np
import pytest
from markdown.extensions.toc import slugify

from conftest import ROOT, load_canvas_tool, load_snippet

fraud = load_snippet("case-studies/payment_fraud_sizing.py")
moderation = load_snippet("case-studies/content_moderation_sizing.py")
ads = load_snippet("case-studies/ad_click_sizing.py")
rec = load_snippet("case-studies/recommender_sizing.py")

DOCS = ROOT / "docs"
# Two pairs of case studies: each pair's pages are read the same way.
THRESHOLD_CASES = {"payment-fraud": fraud, "content-moderation": moderation}
RANKING_CASES = {
    "ad-click-prediction": ("case-studies/ad_click_sizing.py", ads),
    "recommender": ("case-studies/recommender_sizing.py", rec),
}


canvas_tool = load_canvas_tool()


# --- reading numbers back from the pages ------------------------------------------------------

NUMBER = re.compile(r"(?<![\w.])\\?\$?(\d[\d,]*(?:\.\d+)?)(%| million)?(?![\w])")


def parse_number(text: str) -> float:
    """The first number in a table cell or phrase: '20,000,000', '0.1%', '\\$15', '30 days'."""
    match = NUMBER.search(text)
    assert match, f"no number in {text!r}"
    value = float(match.group(1).replace(",", ""))
    unit = match.group(2)
    return value / 100 if unit == "%" else value * 1e6 if unit else value


def test_parse_number_reads_the_formats_the_pages_use():
    assert parse_number("20,000,000") == 20_000_000
    assert parse_number("0.1%") == pytest.approx(0.001)
    assert parse_number("\\$15") == 15
    assert parse_number("30 days") == 30
    assert parse_number("20 million posts") == 20_000_000
    assert [float(m.group(1)) for m in NUMBER.finditer("p99 and the 99th, 2.5 times")] == [2.5]


def page(name: str) -> str:
    return (DOCS / "case-studies" / f"{name}.md").read_text(encoding="utf-8")


def canvas_values(name: str) -> dict:
    return json.loads((DOCS / "case-studies" / f"{name}.canvas.json").read_text(encoding="utf-8"))


def tables(markdown: str) -> dict[str, list[list[str]]]:
    """Every Markdown table, keyed by the text of its first header cell, as body rows."""
    found, block = {}, []
    for line in [*markdown.splitlines(), ""]:
        if line.startswith("|"):
            block.append([c.strip() for c in line.strip().strip("|").split("|")])
        elif block:
            found[block[0][0]] = block[2:]  # skip the header and the |---| line
            block = []
    return found


def assumption_table(markdown: str) -> dict[str, float]:
    """{script name: value} from the table of assumptions (last column: the name in the code)."""
    found = {}
    for _, value, name in tables(markdown)["Assumption"]:
        assert name.startswith("`") and name.endswith("`"), name
        found[name.strip("`")] = parse_number(value)
    return found


def introduction(markdown: str) -> str:
    """The paragraph that states the key assumptions: the one starting with 'Assume'."""
    paragraphs = [p for p in markdown.split("\n\n") if p.startswith("Assume ")]
    assert len(paragraphs) == 1, "each page states its key assumptions in one 'Assume' paragraph"
    return paragraphs[0]


# --- payment fraud and content moderation: the pages ----------------------------------------------


@pytest.mark.parametrize("name", THRESHOLD_CASES)
def test_the_assumption_table_matches_the_snippet_both_ways(name):
    table = assumption_table(page(name))
    assumptions = THRESHOLD_CASES[name].ASSUMPTIONS
    assert set(table) == set(assumptions), "a row per assumption, and no row for anything else"
    for key, value in assumptions.items():
        assert table[key] == pytest.approx(value), f"{key}: page says {table[key]}, code {value}"


def test_the_category_table_matches_the_snippet():
    rows = {row[0]: row[1:] for row in tables(page("content-moderation"))["Category"]}
    assert set(rows) == set(moderation.CATEGORIES)
    for name, category in moderation.CATEGORIES.items():
        prevalence, harm, separation = (parse_number(cell) for cell in rows[name])
        assert prevalence == pytest.approx(category["prevalence"]), name
        assert harm == pytest.approx(category["harm"]), name
        assert separation == pytest.approx(category["separation"]), name


@pytest.mark.parametrize("name", THRESHOLD_CASES)
def test_every_number_in_the_introduction_is_an_assumption_of_the_snippet(name):
    module = THRESHOLD_CASES[name]
    inputs = list(module.ASSUMPTIONS.values())
    inputs += [v for c in getattr(module, "CATEGORIES", {}).values() for v in c.values()]
    numbers = [parse_number(m.group(0)) for m in NUMBER.finditer(introduction(page(name)))]
    assert len(numbers) >= 5
    for number in numbers:
        assert any(math.isclose(number, v, rel_tol=1e-9) for v in inputs), number


@pytest.mark.parametrize("name", THRESHOLD_CASES)
def test_page_uses_the_snippet_offers_the_canvas_and_ends_with_exercises(name):
    text = page(name)
    snippet = name.replace("-", "_") + "_sizing.py"
    assert f"\n<!-- snippet: case-studies/{snippet} -->\n" in text
    assert f"[Download the filled canvas (PDF)]({name}.pdf)" in text
    assert f"[Open in the browser canvas](../canvas/index.md?load={name}){{ .md-button }}" in text
    assert "](../canvas/index.md)" in text
    headings = re.findall(r"^## (.+)$", text, flags=re.MULTILINE)
    assert headings[-2:] == ["What would change at 10x scale", "Exercises"]
    exercises = text.split("## Exercises", 1)[1]
    assert len(re.findall(r'^\?\?\? question "', exercises, flags=re.MULTILINE)) >= 2


# The word in the page's headings that names each canvas section, in canvas order.
SECTION_WORDS = {
    "background": "background",
    "value": "value",
    "framing": "framing",
    "constraints": "constraints",
    "decisions": "decisions",
    "data": "data",
    "labels": "labels",
    "features": "features",
    "privacy": "privacy",
    "baselines": "baselines",
    "modelling": "models",
    "evaluation": "evaluation",
    "serving": "serving",
    "monitoring": "monitoring",
    "risks": "risks",
}


@pytest.mark.parametrize("name", THRESHOLD_CASES)
def test_headings_walk_through_the_canvas_sections_in_order(name):
    definition = canvas_tool.load_definition()
    assert [s["id"] for s in definition["sections"]] == list(SECTION_WORDS)
    headings = [h.lower() for h in re.findall(r"^## (.+)$", page(name), flags=re.MULTILINE)]
    positions = []
    for word in SECTION_WORDS.values():
        hits = [i for i, h in enumerate(headings) if re.search(rf"\b{word}\b", h)]
        assert hits, f"no heading names the canvas section {word!r}"
        positions.append(hits[0])
    assert positions == sorted(positions), "sections appear out of canvas order"


@pytest.mark.parametrize("name", THRESHOLD_CASES)
def test_links_into_the_model_development_chapter_point_at_real_headings(name):
    chapter = (DOCS / "model-development.md").read_text()
    anchors = {slugify(h, "-") for h in re.findall(r"^#+ (.+)$", chapter, flags=re.MULTILINE)}
    links = re.findall(r"\(\.\./model-development\.md#([\w-]+)\)", page(name))
    assert len(links) >= 2
    assert set(links) <= anchors


@pytest.mark.parametrize("name", THRESHOLD_CASES)
def test_derived_numbers_are_not_typed_into_the_prose(name):
    """The prose refers to the output; these derived values, as printed, must not appear."""
    module = THRESHOLD_CASES[name]
    derived = module.sizing(module.ASSUMPTIONS)
    prose = page(name)
    for key in ("peak_per_second", "feature_reads_per_second", "tb_per_year"):
        for shown in (f"{derived[key]:,.0f}", f"{derived[key]:,.1f}"):
            if len(shown.replace(",", "").replace(".", "")) >= 3:
                assert shown not in prose, f"{key} typed by hand as {shown}"


# --- payment_fraud_sizing.py ------------------------------------------------------------------


def test_peak_rate_is_the_daily_average_per_second_times_the_peak_factor():
    assert fraud.peak_rate(86_400, 3) == pytest.approx(3.0)
    assert fraud.peak_rate(20_000_000, 3) == pytest.approx(20_000_000 / 86_400 * 3)
    assert moderation.peak_rate(100_000_000, 2.5) == pytest.approx(2893.5, abs=0.1)


def test_storage_and_cores_round_the_right_way():
    assert fraud.storage_tb_per_year(20_000_000, 2_000) == pytest.approx(14.6)
    assert fraud.cores_needed(1_000, 2, 0.5) == 4  # 2 busy cores at 50% utilisation
    assert fraud.cores_needed(1_001, 2, 0.5) == 5  # never round capacity down
    assert moderation.machines_needed(868, 400, 0.6) == 4  # 868 / 240 = 3.6


def test_label_delay_goes_through_the_stated_median_and_90th_percentile():
    delay = fraud.label_delay(30, 70)
    assert fraud.share_arrived(delay, 30) == pytest.approx(0.5)
    assert fraud.share_arrived(delay, 70) == pytest.approx(0.9)
    assert fraud.days_until_share(delay, 0.9) == pytest.approx(70)
    shares = [fraud.share_arrived(delay, d) for d in (7, 14, 30, 60, 90)]
    assert shares == sorted(shares) and shares[0] < 0.05


def test_labels_for_a_recall_margin():
    # n = 1.96^2 * 0.25 / margin^2, rounded up
    assert fraud.labels_for_margin(0.02) == 2401
    assert moderation.labels_for_margin(0.05) == 385
    assert fraud.labels_for_margin(0.01) > fraud.labels_for_margin(0.02)


def test_error_cost_on_a_hand_checked_example():
    # two frauds (100 and 50 dollars), two good transactions; flag the first of each
    is_fraud = np.array([True, True, False, False])
    amounts = np.array([100.0, 50.0, 20.0, 30.0])
    flagged = np.array([True, False, True, False])
    cost = fraud.error_cost(flagged, is_fraud, amounts, fee=15, false_alarm_cost=10)
    assert cost == {
        "flagged": 2,
        "missed": 1,
        "false_alarms": 1,
        "fraud_loss": 65.0,  # 50 + 15
        "friction": 10.0,
        "total": 75.0,
    }


def test_best_threshold_picks_the_cheapest_candidate():
    is_fraud = np.array([True, True, False, False])
    amounts = np.array([100.0, 50.0, 20.0, 30.0])
    probability = np.array([0.9, 0.3, 0.2, 0.05])
    # 0.1: flags a good customer (10); 0.25: perfect (0); 0.5: misses 50 + 15 (65)
    best = fraud.best_threshold(probability, is_fraud, amounts, 15, 10, [0.1, 0.25, 0.5])
    assert best == 0.25


@pytest.fixture(scope="module")
def simulated_fraud():
    rng = np.random.default_rng(1)
    return fraud.simulate_scores(1_000_000, fraud.ASSUMPTIONS, rng)


def test_simulated_scores_are_calibrated(simulated_fraud):
    is_fraud, _, probability = simulated_fraud
    assert probability.mean() == pytest.approx(is_fraud.mean(), rel=0.1)
    top = probability > 0.3
    assert probability[top].mean() == pytest.approx(is_fraud[top].mean(), abs=0.05)


def test_best_threshold_beats_every_threshold_shown_and_theory_is_as_good(simulated_fraud):
    is_fraud, amounts, probability = simulated_fraud
    a = fraud.ASSUMPTIONS
    fee, c = a["chargeback_fee"], a["false_alarm_cost"]

    def total(flags):
        return fraud.error_cost(flags, is_fraud, amounts, fee, c)["total"]

    candidates = np.geomspace(1e-3, 0.9, 200)
    best = fraud.best_threshold(probability, is_fraud, amounts, fee, c, candidates)
    best_cost = total(probability >= best)
    assert best_cost == min(total(probability >= t) for t in candidates)
    for t in fraud.THRESHOLDS_TO_SHOW:
        assert best_cost <= total(probability >= t)
    # The cost curve is flat near its minimum: the theoretical threshold for calibrated scores,
    # c / (c + mean loss), costs within a few percent of the best one found by search.
    theory = c / (c + amounts.mean() + fee)
    assert total(probability >= theory) <= 1.03 * best_cost
    assert total(probability >= 0.5) > 1.2 * best_cost  # the habitual 0.5 is far from it
    assert total(fraud.amount_aware_flags(probability, amounts, fee, c)) < best_cost


def test_amount_aware_rule_stops_big_orders_at_lower_probabilities():
    probability = np.array([0.05, 0.05, 0.3])
    amounts = np.array([900.0, 9.0, 9.0])
    # expected loss p * (amount + 15) against expected friction (1 - p) * 10:
    # 0.05 * 915 = 45.75 > 9.5; 0.05 * 24 = 1.2 < 9.5; 0.3 * 24 = 7.2 > 7
    flags = fraud.amount_aware_flags(probability, amounts, fee=15, false_alarm_cost=10)
    assert flags.tolist() == [True, False, True]


def test_fraud_sizing_follows_the_assumptions():
    a = dict(fraud.ASSUMPTIONS)
    s = fraud.sizing(a)
    assert s["feature_reads_per_second"] == pytest.approx(s["peak_per_second"] * 7)
    assert s["frauds_per_day"] == pytest.approx(20_000)
    assert s["labels_per_day"] == pytest.approx(18_000)
    assert s["latency_used_ms"] == 10 + 25 + 10 + 5
    a["slice_share"] *= 2
    assert fraud.sizing(a)["slice_days"] == pytest.approx(s["slice_days"] / 2)


# --- content_moderation_sizing.py -------------------------------------------------------------


def test_review_cost_on_a_hand_checked_example():
    flagged = np.array([True, False, True, False])
    violating = np.array([True, True, False, False])
    cost = moderation.review_cost(flagged, violating, harm=10)
    assert cost == {"reviews": 2, "missed": 1, "caught": 1, "total": 2 + 10}


def test_moderation_best_threshold_picks_the_cheapest_candidate():
    violating = np.array([True, True, False, False])
    probability = np.array([0.9, 0.3, 0.2, 0.05])
    # harm 10: 0.1 -> 3 reviews, no miss (3); 0.25 -> 2 reviews (2); 0.5 -> 1 review + 10 (11)
    assert moderation.best_threshold(probability, violating, 10, [0.1, 0.25, 0.5]) == 0.25


def test_fill_queue_takes_exactly_the_highest_priorities():
    priority = np.array([0.1, 0.9, 0.5, 0.7, 0.2])
    assert moderation.fill_queue(priority, 2).tolist() == [False, True, False, True, False]
    assert moderation.fill_queue(priority, 10).all()


def test_reviewing_above_one_over_harm_is_as_good_as_the_best_threshold():
    rng = np.random.default_rng(2)
    c = moderation.CATEGORIES["hate speech"]
    violating, p = moderation.calibrated_scores(1_000_000, c["prevalence"], c["separation"], rng)
    assert p.mean() == pytest.approx(c["prevalence"], rel=0.15)  # calibrated

    def total(t):
        return moderation.review_cost(p >= t, violating, c["harm"])["total"]

    candidates = np.geomspace(0.002, 0.9, 200)
    best = moderation.best_threshold(p, violating, c["harm"], candidates)
    assert total(best) == min(total(t) for t in candidates)
    assert total(1 / c["harm"]) <= 1.03 * total(best)
    assert total(0.5) > 1.1 * total(best)


def test_harm_weighted_queue_leaves_less_harm_than_one_shared_threshold():
    rng = np.random.default_rng(3)
    posts = moderation.simulate_posts(500_000, rng)
    harms = {n: c["harm"] for n, c in moderation.CATEGORIES.items()}
    value = sum(harms[n] * p for n, (_, p) in posts.items())
    capacity = 2_000
    weighted = moderation.fill_queue(value, capacity)
    shared = moderation.fill_queue(np.max([p for _, p in posts.values()], axis=0), capacity)

    def harm_left(flags):
        return sum(
            moderation.review_cost(flags, v, harms[n])["missed"] * harms[n]
            for n, (v, _) in posts.items()
        )

    assert weighted.sum() == shared.sum() == capacity
    assert harm_left(weighted) < harm_left(shared)
    violating = posts["self-harm"][0]
    assert np.sum(weighted & violating) > np.sum(shared & violating)


def test_biased_and_weak_groups_fail_in_different_ways():
    rng = np.random.default_rng(4)
    c = moderation.CATEGORIES["hate speech"]
    n, threshold = 1_000_000, 0.05
    v0, p0 = moderation.calibrated_scores(n, c["prevalence"], c["separation"], rng)
    v1, p1 = moderation.calibrated_scores(n, c["prevalence"], c["separation"], rng, 0.5)
    v2, p2 = moderation.calibrated_scores(n, c["prevalence"], 1.5, rng)

    def benign_flagged(v, p):
        return np.mean(p[~v] >= threshold)

    def recall(v, p):
        return np.mean(p[v] >= threshold)

    assert benign_flagged(v1, p1) > 2 * benign_flagged(v0, p0)  # the biased group
    assert recall(v2, p2) < recall(v0, p0) / 3  # the weak model


def test_moderation_sizing_follows_the_assumptions():
    a = dict(moderation.ASSUMPTIONS)
    s = moderation.sizing(a)
    assert s["capacity"] == 1_000 * 400 - 20_000
    assert s["images_per_second"] == pytest.approx(s["peak_per_second"] * 0.3)
    assert s["latency_used_ms"] == 10 + 20 + 30 + 60
    assert s["tb_per_year"] == pytest.approx(73.0)


# --- payment fraud and content moderation: the filled canvases ------------------------------------


@pytest.mark.parametrize("name", THRESHOLD_CASES)
def test_canvas_json_is_valid_complete_and_fits_its_cells(name):
    definition = canvas_tool.load_definition()
    path = DOCS / "case-studies" / f"{name}.canvas.json"
    raw = json.loads(path.read_text())
    assert raw["canvas"] == definition["name"] and raw["version"] == definition["version"]
    values = canvas_tool.validate_values(definition, raw, str(path))
    assert set(raw["sections"]) == {s["id"] for s in definition["sections"]}
    assert values["header"] == {
        "project": values["header"]["project"],
        "authors": "ML System Design Handbook",
        "date": "worked example",
        "version": "1",
    }
    assert values["header"]["project"].strip()
    plan = canvas_tool.layout(definition, "A3")
    given = {**values["header"], **values["sections"]}
    for field in plan.fields:
        text = given[field.name]
        assert text.strip(), f"{field.name} is empty"
        assert len(text) <= 450 and text.count("\n") < 6, field.name
        assert "<" not in text.replace("<=", ""), f"{field.name}: plain text, not HTML"
        _, size = canvas_tool.fit(text, field)
        assert size == field.size, f"{field.name} only fits when shrunk to {size} pt"


def canvas_text(name: str) -> dict[str, str]:
    return json.loads((DOCS / "case-studies" / f"{name}.canvas.json").read_text())["sections"]


def test_numbers_on_the_fraud_canvas_come_from_the_snippet():
    a, s, text = fraud.ASSUMPTIONS, fraud.sizing(fraud.ASSUMPTIONS), canvas_text("payment-fraud")
    assert f"~{round(s['peak_per_second'], -2):,.0f} auth/s" in text["constraints"]
    assert f"~{round(s['feature_reads_per_second'], -2):,.0f} reads/s" in text["serving"]
    assert f"95% in ~{s['days_to_95_percent']:.0f} days" in text["labels"]
    assert f"median delay {a['chargeback_median_days']} days" in text["labels"]
    assert f"{s['frauds_per_day'] / 1000:.0f}k fraud/day" in text["data"]
    assert f"{a['latency_budget_ms']} ms p99" in text["constraints"]
    assert f"${a['chargeback_fee']} chargeback fee" in text["constraints"]
    assert f"False alarm: ${a['false_alarm_cost']}" in text["constraints"]
    assert (
        f"{a['reviewers']} analysts x {a['reviews_per_reviewer_per_day']}/day" in text["decisions"]
    )


def test_numbers_on_the_moderation_canvas_come_from_the_snippet():
    a, text = moderation.ASSUMPTIONS, canvas_text("content-moderation")
    s = moderation.sizing(a)
    assert f"~{round(s['peak_per_second'], -2):,.0f} posts/s" in text["constraints"]
    assert f"~{round(s['images_per_second'], -1):,.0f} images/s" in text["constraints"]
    assert f"{s['capacity']:,d} daily slots" in text["decisions"]
    assert f"{s['gpus']}+ GPUs at peak" in text["serving"]
    assert f"Random audit {a['audit_sample_per_day']:,d}/day" in text["labels"]
    assert (
        f"{a['reviewers']:,d} reviewers x {a['reviews_per_reviewer_per_day']}"
        in (text["constraints"])
    )
    harms = [c["harm"] for c in moderation.CATEGORIES.values()]
    assert f"harm {min(harms)} (spam) to {max(harms)} (self-harm)" in text["constraints"]


# --- ad_click_sizing.py: arithmetic ---------------------------------------------------------


def test_peak_qps_is_daily_mean_times_peak_ratio():
    assert ads.peak_qps(86_400, 1.0) == pytest.approx(1.0)
    assert ads.peak_qps(864_000_000, 3.0) == pytest.approx(30_000.0)
    assert rec.peak_qps(86_400 * 7, 2.5) == pytest.approx(17.5)


def test_ad_sizing_follows_the_assumptions():
    a = dict(ads.ASSUMPTIONS)
    s = ads.sizing(a)
    impressions = a["ad_requests_per_day"] * a["ads_shown_per_request"]
    assert s["clicks_per_day"] == pytest.approx(impressions * a["ctr"])
    assert s["candidates_scored_per_s"] == pytest.approx(
        s["peak_qps"] * a["candidates_per_request"]
    )
    negatives = impressions * (1 - a["ctr"]) * a["negative_keep_rate"]
    assert s["training_rows_per_day"] == pytest.approx(s["clicks_per_day"] + negatives)
    assert s["training_tb_per_year"] == pytest.approx(365 * s["training_tb_per_day"])
    # Doubling the traffic doubles the load and the data, and leaves the rates alone.
    doubled = ads.sizing({**a, "ad_requests_per_day": 2 * a["ad_requests_per_day"]})
    for key in ("peak_qps", "feature_reads_per_s", "clicks_per_day", "training_tb_per_day"):
        assert doubled[key] == pytest.approx(2 * s[key])
    assert doubled["training_positive_rate"] == pytest.approx(s["training_positive_rate"])
    assert doubled["one_core_ms_per_request"] == pytest.approx(s["one_core_ms_per_request"])


def test_downsampling_correction_inverts_the_shift_in_base_rate():
    p = np.array([0.001, 0.015, 0.2, 0.7])
    for keep in (0.01, 0.1, 0.5):
        shifted = ads.positive_rate_after_downsampling(p, keep)
        assert np.all(shifted > p)  # dropping negatives raises the positive rate
        np.testing.assert_allclose(ads.undo_downsampling(shifted, keep), p, rtol=1e-12)
    np.testing.assert_allclose(ads.undo_downsampling(p, 1.0), p)  # keeping all: no change


def test_downsampling_correction_matches_a_simulated_downsample():
    rng = np.random.default_rng(3)
    y = rng.random(400_000) < 0.02
    kept = y | (rng.random(y.size) < 0.1)
    observed = y[kept].mean()
    assert ads.undo_downsampling(observed, 0.1) == pytest.approx(y.mean(), rel=0.05)


def test_label_delay_functions():
    assert ads.click_delay_quantile(0.5, 30, 1.2) == pytest.approx(30)
    assert ads.click_delay_quantile(0.99, 30, 1.2) > ads.click_delay_quantile(0.9, 30, 1.2)
    assert ads.conversions_observed_by(2.0 * math.log(2), 2.0) == pytest.approx(0.5)
    s = ads.sizing(ads.ASSUMPTIONS)
    mean = ads.ASSUMPTIONS["conversion_delay_mean_days"]
    assert ads.conversions_observed_by(s["conversion_wait_95_days"], mean) == pytest.approx(0.95)


# --- ad_click_sizing.py: metrics ------------------------------------------------------------


def test_nce_of_the_base_rate_predictor_is_exactly_one():
    rng = np.random.default_rng(0)
    for rate in (0.01, 0.3):
        y = (rng.random(50_000) < rate).astype(float)
        assert ads.normalised_cross_entropy(y, np.full(y.size, y.mean())) == pytest.approx(1.0)


def test_nce_rewards_information_and_punishes_miscalibration():
    rng = np.random.default_rng(1)
    p = rng.uniform(0.001, 0.1, 200_000)
    y = rng.random(p.size) < p
    calibrated = ads.normalised_cross_entropy(y, p)
    assert calibrated < 0.99
    assert ads.normalised_cross_entropy(y, 2 * p) > calibrated
    assert ads.normalised_cross_entropy(y, p / 2) > calibrated


def test_auc_on_hand_checked_cases():
    y = np.array([0, 0, 1, 1])
    assert ads.auc(y, np.array([0.1, 0.2, 0.3, 0.4])) == pytest.approx(1.0)
    assert ads.auc(y, np.array([0.4, 0.3, 0.2, 0.1])) == pytest.approx(0.0)
    assert ads.auc(y, np.full(4, 0.5)) == pytest.approx(0.5)  # ties share their rank
    # positives at 0.3, 0.9; negatives at 0.1, 0.5: 3 of 4 pairs ordered correctly
    assert ads.auc(y, np.array([0.1, 0.5, 0.3, 0.9])) == pytest.approx(0.75)


def test_auc_within_segments_ignores_a_factor_per_segment():
    rng = np.random.default_rng(2)
    score = rng.random(20_000)
    y = rng.random(score.size) < score * 0.2
    segment = rng.integers(0, 4, score.size)
    skewed = score * np.array([0.5, 0.8, 1.25, 2.0])[segment]
    same = ads.mean_auc_within_segments(y, score, segment)
    assert ads.mean_auc_within_segments(y, skewed, segment) == pytest.approx(same, abs=1e-12)


def test_auction_revenue_is_best_with_the_true_ctr_and_blind_to_a_global_factor():
    rng = np.random.default_rng(4)
    true_ctr, bids, segment, _, prior = ads.simulate_auctions(rng, 20_000, 10, 4, 0.015)
    model = ads.calibrated_model(true_ctr, rng, prior, noise_sd=0.5)
    oracle = ads.auction_revenue(bids, true_ctr, true_ctr)
    calibrated = ads.auction_revenue(bids, true_ctr, model)
    skewed = ads.auction_revenue(bids, true_ctr, model * np.array(ads.SEGMENT_FACTORS)[segment])
    assert oracle > calibrated > skewed
    assert ads.auction_revenue(bids, true_ctr, 3 * model) == pytest.approx(calibrated)


def test_calibrated_model_is_calibrated():
    rng = np.random.default_rng(5)
    true_ctr, *_, prior = ads.simulate_auctions(rng, 20_000, 20, 1, 0.015)
    q = ads.calibrated_model(true_ctr, rng, prior, noise_sd=0.5).ravel()
    bins = np.quantile(q, np.linspace(0, 1, 11))
    which = np.clip(np.searchsorted(bins, q, side="right") - 1, 0, 9)
    for b in range(10):
        inside = which == b
        assert true_ctr.ravel()[inside].mean() == pytest.approx(q[inside].mean(), rel=0.03)


# --- the ad page's claims about the output --------------------------------------------------


@pytest.fixture(scope="module")
def auction_table():
    table, factors = ads.compare_predictors()
    return table


def test_claims_about_the_simulated_auctions(auction_table):
    t = auction_table
    base, cal = t["base rate only"], t["calibrated model"]
    double, skew = t["same model x 2 everywhere"], t["same model x segment factor"]
    fixed = t["  ... recalibrated per segment"]
    assert base["nce"] == pytest.approx(1.0, abs=1e-3)
    assert t["true CTR (oracle)"]["revenue"] == pytest.approx(1.0)
    # "x 2 everywhere": same revenue and AUC as the calibrated model, NCE worse than base rate
    assert double["revenue"] == pytest.approx(cal["revenue"])
    assert double["auc"] == pytest.approx(cal["auc"])
    assert double["nce"] > 1.0 > cal["nce"]
    # "x segment factor": per-segment AUC untouched, revenue loses a large share of the gain
    assert skew["auc_in_segments"] == pytest.approx(cal["auc_in_segments"], abs=1e-9)
    gain = cal["revenue"] - base["revenue"]
    assert gain > 0
    assert (cal["revenue"] - skew["revenue"]) / gain > 0.4
    # recalibration recovers the calibrated model's revenue
    assert fixed["revenue"] == pytest.approx(cal["revenue"], abs=0.01)
    assert fixed["pred_over_actual"] == pytest.approx(1.0, abs=0.03)


def test_claims_about_the_ad_sizing():
    a, s = ads.ASSUMPTIONS, ads.sizing(ads.ASSUMPTIONS)
    assert 1e7 <= s["candidates_scored_per_s"] < 1e8  # "tens of millions" per second
    assert s["one_core_ms_per_request"] > a["scoring_budget_ms"]  # one core is too slow
    assert s["cores_per_request"] >= 2
    assert s["impressions_per_day"] >= 1e9  # "billions of impressions"
    assert s["logged_tb_per_day"] >= 1  # "terabytes of logs"
    assert 1e7 <= s["clicks_per_day"] < 1e8  # "tens of millions of clicks"
    assert s["embedding_gb"] < 256  # "fits in the memory of one large serving host"
    assert s["click_wait_p99_min"] < 60  # clicks are in "within minutes"
    assert s["conversion_wait_95_days"] > 1  # conversions "take days"


# --- recommender_sizing.py ------------------------------------------------------------------


def test_recall_at_k_on_a_hand_checked_case():
    scores = np.array([[3.0, 2.0, 1.0, 0.0], [0.0, 1.0, 2.0, 3.0]])
    relevant = np.array([[2], [3]])  # user 0's item ranks third, user 1's first
    np.testing.assert_allclose(rec.recall_at_k(scores, relevant, (1, 2, 3, 4)), [0.5, 0.5, 1, 1])


def test_recall_at_k_is_monotone_and_reaches_one_at_the_catalogue_size():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(50, 300))
    relevant = np.stack([rng.choice(300, 12, replace=False) for _ in range(50)])
    ks = np.arange(1, 301)
    recall = rec.recall_at_k(scores, relevant, ks)
    assert np.all(np.diff(recall) >= 0)
    assert recall[-1] == pytest.approx(1.0)
    perfect = rec.recall_at_k(scores, np.argsort(-scores, axis=1)[:, :12], (12,))
    assert perfect[0] == pytest.approx(1.0)


def test_scoring_plans_cost_what_they_should():
    a = rec.ASSUMPTIONS
    everything = rec.flops_per_request(a, "rank everything")
    assert everything == a["catalogue_items"] * a["ranker_flops_per_item"]
    assert (
        rec.flops_per_request(a, "ANN, then rank k")
        < rec.flops_per_request(a, "dot product, then rank k")
        < everything
    )
    one, two = (rec.flops_per_request(a, "ANN, then rank k", k) for k in (100, 200))
    assert two - one == pytest.approx(100 * a["ranker_flops_per_item"])
    with pytest.raises(ValueError, match="unknown plan"):
        rec.flops_per_request(a, "magic")


def test_recommender_sizing_follows_the_assumptions():
    a = rec.ASSUMPTIONS
    s = rec.sizing(a)
    requests = a["daily_active_users"] * a["feed_requests_per_user_per_day"]
    assert s["peak_qps"] == pytest.approx(requests / 86_400 * a["peak_to_mean_ratio"])
    impressions = requests * a["items_shown_per_request"]
    assert s["positives_per_day"] == pytest.approx(impressions * a["positive_rate"])
    assert s["items_ranked_per_s"] == pytest.approx(s["peak_qps"] * a["candidates_k"])


def test_claims_about_the_recommender_sizing():
    a, s = rec.ASSUMPTIONS, rec.sizing(rec.ASSUMPTIONS)
    plans = s["plans"]
    everything, dot, ann = (plans[p] for p in rec.PLANS)
    assert everything["gpu_ms"] > a["feed_latency_budget_ms"]  # one request exceeds the budget
    assert everything["gpus"] > 1_000  # "thousands of GPUs at peak"
    rank_k = a["candidates_k"] * a["ranker_flops_per_item"] / 1e9
    assert 0.5 < (dot["gflop"] - rank_k) / rank_k < 2  # brute force "about as much" as ranking
    assert ann["gpu_ms"] < 0.01 * a["feed_latency_budget_ms"]  # "tiny next to that budget"
    assert ann["gpus"] < 10  # "a handful" of GPUs
    assert s["brute_force_tb_scanned_per_s"] > 10  # unbatched scans need absurd bandwidth
    assert s["batch_to_online_compute"] < 1  # batch is cheaper in compute
    assert s["batch_store_gb"] < 1_000  # "a modest key-value store"
    assert s["impressions_per_day"] >= 1e9  # "billions of impressions"
    assert 1e8 <= s["positives_per_day"] < 1e9  # "hundreds of millions of positives"


@pytest.fixture(scope="module")
def recall_curves():
    return rec.recall_table()


def test_claims_about_the_simulated_recall(recall_curves):
    ks = np.asarray(rec.KS)
    model, popular = recall_curves["two-tower"], recall_curves["most popular"]
    assert model[-1] == pytest.approx(1.0) and popular[-1] == pytest.approx(1.0)
    assert np.all(model[:-1] > popular[:-1])  # popularity recalls less at every k
    assert model[0] < 0.3  # the retrieval model alone would be a poor feed
    gain_per_item = np.diff(model) / np.diff(ks)
    assert np.all(np.diff(gain_per_item) < 0)  # steep at first, then flattening


# --- ad click and recommender: pages (assumptions, links, canvas order) ---------------------------


ROW = re.compile(r"^\| [^|]*\(`(?P<key>\w+)`\) \| (?P<value>[^|]+) \|", re.MULTILINE)


def parse_value(text: str) -> float:
    text = text.strip().replace(",", "").lstrip("$")
    return float(text[:-1]) / 100 if text.endswith("%") else float(text)


@pytest.mark.parametrize("name", RANKING_CASES)
def test_page_states_exactly_the_snippet_assumptions(name):
    _, module = RANKING_CASES[name]
    stated = {m["key"]: parse_value(m["value"]) for m in ROW.finditer(page(name))}
    assert set(stated) == set(module.ASSUMPTIONS), "assumptions table and snippet differ"
    for key, value in module.ASSUMPTIONS.items():
        assert stated[key] == pytest.approx(value), f"{name}: {key} is {value} in the snippet"


@pytest.mark.parametrize("name", RANKING_CASES)
def test_page_does_not_type_derived_numbers(name):
    """Derived numbers come from the output; their printed forms must not appear in the prose."""
    _, module = RANKING_CASES[name]
    s = module.sizing(module.ASSUMPTIONS)
    assumed = {f"{v:,.0f}" for v in module.ASSUMPTIONS.values()}
    text = page(name)
    for key, value in s.items():
        if isinstance(value, int | float) and value >= 1_000:
            printed = f"{value:,.0f}"
            if printed not in assumed:
                assert printed not in text, f"{name}: derived {key} typed by hand: {printed}"


@pytest.mark.parametrize("name", RANKING_CASES)
def test_page_runs_its_snippet_and_offers_its_canvas(name):
    snippet, _ = RANKING_CASES[name]
    text = page(name)
    assert f"\n<!-- snippet: {snippet} -->\n" in text
    assert f"]({name}.pdf)" in text
    assert f"](../canvas/index.md?load={name})" in text
    assert "](../canvas/index.md)" in text
    assert "](../model-development.md#" in text
    assert '??? question "' in text
    assert "## What would change at 10x scale" in text


@pytest.mark.parametrize("name", RANKING_CASES)
def test_page_walks_the_canvas_sections_in_order(name):
    definition = canvas_tool.load_definition()
    numbers = []
    for match in re.finditer(r"^\*Canvas sections? ([\d and]+)\.\*", page(name), re.MULTILINE):
        numbers += [int(n) for n in re.findall(r"\d+", match.group(1))]
    assert numbers == list(range(1, len(definition["sections"]) + 1))


def test_simulation_inputs_named_in_the_prose_match_the_snippets():
    assert ads.N_ADS == 20 and "simulated auctions with 20 ads each" in page("ad-click-prediction")
    assert ads.SEGMENT_FACTORS == (0.5, 0.8, 1.25, 2.0)
    assert "(0.5, 0.8, 1.25 and 2.0:" in page("ad-click-prediction")
    assert rec.N_ITEMS == 20_000 and "(twenty thousand items)" in page("recommender")
    shown = rec.ASSUMPTIONS["items_shown_per_request"]
    assert f"the true top {shown} by simulated" in page("recommender").replace("\n", " ")


# --- ad click and recommender: the filled canvases ------------------------------------------------


@pytest.mark.parametrize("name", RANKING_CASES)
def test_canvas_json_is_valid_and_complete(name):
    definition = canvas_tool.load_definition()
    data = canvas_values(name)
    values = canvas_tool.validate_values(definition, data, name)  # raises on anything foreign
    assert data["canvas"] == definition["name"] and data["version"] == definition["version"]
    assert set(data["sections"]) == {s["id"] for s in definition["sections"]}
    assert set(data["header"]) == {h["id"] for h in definition["header"]}
    assert values["header"]["authors"] == "ML System Design Handbook"
    assert values["header"]["version"] == "1"
    for section, text in values["sections"].items():
        assert text.strip(), f"{name}: section {section} is empty"
        assert len(text) <= 450, f"{name}: section {section} is too long for a PDF cell"
        assert not re.search(r"<[A-Za-z/!]", text), f"{name}: section {section} has markup"


@pytest.mark.parametrize("name", RANKING_CASES)
def test_canvas_text_fits_its_a3_cells_without_shrinking(name):
    definition = canvas_tool.load_definition()
    values = canvas_tool.validate_values(definition, canvas_values(name), name)
    for field in canvas_tool.layout(definition, "A3").fields:
        if not field.multiline:
            continue
        lines, size = canvas_tool.fit(values["sections"][field.name], field)
        assert size == field.size, f"{name}: {field.name} had to shrink to {size} pt"
        assert len(lines) * size * canvas_tool.LEADING <= field.box.h


def test_canvas_numbers_agree_with_the_snippets():
    a, s = ads.ASSUMPTIONS, ads.sizing(ads.ASSUMPTIONS)
    ad = canvas_values("ad-click-prediction")["sections"]
    expected = {
        "constraints": [
            f"~{s['peak_qps'] / 1e3:.0f}k QPS at peak",
            f"~{s['candidates_scored_per_s'] / 1e6:.0f}M scores/s",
            f"{a['scoring_budget_ms']} ms",
        ],
        "data": [
            f"{s['impressions_per_day'] / 1e9:.0f}B impressions/day",
            f"~{s['logged_tb_per_day']:.0f} TB/day logged",
            f"~{s['training_tb_per_day']:.2f} TB/day, ~{s['training_tb_per_year']:.0f} TB/year",
        ],
        "labels": [
            f"~{s['clicks_per_day'] / 1e6:.0f}M/day",
            f"within ~{s['click_wait_p99_min']:.0f} min",
            f"only {s['conversions_seen_after_1_day']:.0%} seen after 1 day",
            f"95% after ~{s['conversion_wait_95_days']:.0f} days",
        ],
        "features": [f"= ~{s['embedding_gb']:.0f} GB"],
        "serving": [
            f"~{s['serving_cores_at_peak'] / 1e3:.1f}k CPU cores at peak",
            f"~${s['serving_usd_per_month'] / 1e3:.0f}k/month",
            f"~{s['one_core_ms_per_request']:.0f} ms per request -> split over "
            f"{s['cores_per_request']} cores",
        ],
    }
    for section, needles in expected.items():
        for needle in needles:
            assert needle in ad[section], f"ad canvas {section}: expected {needle!r}"

    a, s = rec.ASSUMPTIONS, rec.sizing(rec.ASSUMPTIONS)
    rc = canvas_values("recommender")["sections"]
    expected = {
        "constraints": [
            f"{s['requests_per_day'] / 1e6:.0f}M/day",
            f"~{s['peak_qps'] / 1e3:.1f}k QPS at peak",
            f"~{s['plans']['rank everything']['gpu_ms'] / 1e3:.0f} s of GPU per request",
            f"k = {a['candidates_k']}",
        ],
        "data": [
            f"{s['impressions_per_day'] / 1e9:.1f}B impressions/day",
            f"~{s['logged_tb_per_day']:.1f} TB/day logged",
            f"~{s['logged_tb_per_year'] / 1e3:.1f} PB/year",
        ],
        "labels": [
            f"~{s['positives_per_day'] / 1e6:.0f}M/day",
            f"({a['session_timeout_min']} min)",
        ],
        "serving": [
            f"~{s['batch_store_gb']:.0f} GB of lists",
            f"~{s['item_embeddings_gb']:.0f} GB of item embeddings",
            f"~{s['feature_reads_per_s'] / 1e6:.1f}M keys/s",
        ],
        "monitoring": [f"~{s['exploration_impressions_per_day'] / 1e6:.0f}M impressions/day"],
    }
    for section, needles in expected.items():
        for needle in needles:
            assert needle in rc[section], f"recommender canvas {section}: expected {needle!r}"
    assert s["batch_to_online_compute"] < 1  # the canvas says batch is cheaper


# --- the built site ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", RANKING_CASES)
def test_built_page_shows_output_pdf_and_canvas_link(built_site, name):
    site, _ = built_site
    html = (site / "case-studies" / name / "index.html").read_text(encoding="utf-8")
    assert "Part 1: sizing, from the stated assumptions" in html  # the executed output
    assert "<math" in html  # formulas rendered to MathML
    assert f'href="../../canvas/?load={name}"' in html
    assert (site / "case-studies" / f"{name}.pdf").read_bytes().startswith(b"%PDF")
    published = json.loads((site / "case-studies" / f"{name}.canvas.json").read_text())
    assert published == canvas_values(name)  # what ?load= fetches
