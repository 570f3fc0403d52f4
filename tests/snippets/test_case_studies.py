"""The payment-fraud and content-moderation case studies: the behaviour of their sizing snippets,
and the agreement between each snippet's assumptions, its page and its filled canvas."""

import json
import math
import re

import numpy as np
import pytest
from markdown.extensions.toc import slugify

from conftest import ROOT, load_canvas_tool, load_snippet

fraud = load_snippet("case-studies/payment_fraud_sizing.py")
moderation = load_snippet("case-studies/content_moderation_sizing.py")

DOCS = ROOT / "docs"
CASES = {"payment-fraud": fraud, "content-moderation": moderation}


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
    return (DOCS / "case-studies" / f"{name}.md").read_text()


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


# --- the pages --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CASES)
def test_the_assumption_table_matches_the_snippet_both_ways(name):
    table = assumption_table(page(name))
    assumptions = CASES[name].ASSUMPTIONS
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


@pytest.mark.parametrize("name", CASES)
def test_every_number_in_the_introduction_is_an_assumption_of_the_snippet(name):
    module = CASES[name]
    inputs = list(module.ASSUMPTIONS.values())
    inputs += [v for c in getattr(module, "CATEGORIES", {}).values() for v in c.values()]
    numbers = [parse_number(m.group(0)) for m in NUMBER.finditer(introduction(page(name)))]
    assert len(numbers) >= 5
    for number in numbers:
        assert any(math.isclose(number, v, rel_tol=1e-9) for v in inputs), number


@pytest.mark.parametrize("name", CASES)
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


@pytest.mark.parametrize("name", CASES)
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


@pytest.mark.parametrize("name", CASES)
def test_links_into_the_model_development_chapter_point_at_real_headings(name):
    chapter = (DOCS / "model-development.md").read_text()
    anchors = {slugify(h, "-") for h in re.findall(r"^#+ (.+)$", chapter, flags=re.MULTILINE)}
    links = re.findall(r"\(\.\./model-development\.md#([\w-]+)\)", page(name))
    assert len(links) >= 2
    assert set(links) <= anchors


@pytest.mark.parametrize("name", CASES)
def test_derived_numbers_are_not_typed_into_the_prose(name):
    """The prose refers to the output; these derived values, as printed, must not appear."""
    module = CASES[name]
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


# --- the filled canvases ----------------------------------------------------------------------


@pytest.mark.parametrize("name", CASES)
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
