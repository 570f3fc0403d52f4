"""Case studies 2: ad click-through prediction and the home-feed recommender.

Checks the behaviour of the two sizing snippets, that each page states exactly the assumptions
its snippet uses, that the qualitative claims the prose makes about the output still hold, and
that each filled canvas is valid, complete and fits its PDF cells.
"""

import json
import math
import re

import numpy as np
import pytest

from conftest import ROOT, load_canvas_tool, load_snippet

ads = load_snippet("case-studies/ad_click_sizing.py")
rec = load_snippet("case-studies/recommender_sizing.py")

DOCS = ROOT / "docs"
CASES = {
    "ad-click-prediction": ("case-studies/ad_click_sizing.py", ads),
    "recommender": ("case-studies/recommender_sizing.py", rec),
}


canvas_tool = load_canvas_tool()


def page(name: str) -> str:
    return (DOCS / "case-studies" / f"{name}.md").read_text(encoding="utf-8")


def canvas_values(name: str) -> dict:
    return json.loads((DOCS / "case-studies" / f"{name}.canvas.json").read_text(encoding="utf-8"))


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


# --- pages: assumptions, links, canvas order ------------------------------------------------


ROW = re.compile(r"^\| [^|]*\(`(?P<key>\w+)`\) \| (?P<value>[^|]+) \|", re.MULTILINE)


def parse_value(text: str) -> float:
    text = text.strip().replace(",", "").lstrip("$")
    return float(text[:-1]) / 100 if text.endswith("%") else float(text)


@pytest.mark.parametrize("name", CASES)
def test_page_states_exactly_the_snippet_assumptions(name):
    _, module = CASES[name]
    stated = {m["key"]: parse_value(m["value"]) for m in ROW.finditer(page(name))}
    assert set(stated) == set(module.ASSUMPTIONS), "assumptions table and snippet differ"
    for key, value in module.ASSUMPTIONS.items():
        assert stated[key] == pytest.approx(value), f"{name}: {key} is {value} in the snippet"


@pytest.mark.parametrize("name", CASES)
def test_page_does_not_type_derived_numbers(name):
    """Derived numbers come from the output; their printed forms must not appear in the prose."""
    _, module = CASES[name]
    s = module.sizing(module.ASSUMPTIONS)
    assumed = {f"{v:,.0f}" for v in module.ASSUMPTIONS.values()}
    text = page(name)
    for key, value in s.items():
        if isinstance(value, int | float) and value >= 1_000:
            printed = f"{value:,.0f}"
            if printed not in assumed:
                assert printed not in text, f"{name}: derived {key} typed by hand: {printed}"


@pytest.mark.parametrize("name", CASES)
def test_page_runs_its_snippet_and_offers_its_canvas(name):
    snippet, _ = CASES[name]
    text = page(name)
    assert f"\n<!-- snippet: {snippet} -->\n" in text
    assert f"]({name}.pdf)" in text
    assert f"](../canvas/index.md?load={name})" in text
    assert "](../canvas/index.md)" in text
    assert "](../model-development.md#" in text
    assert '??? question "' in text
    assert "## What would change at 10x scale" in text


@pytest.mark.parametrize("name", CASES)
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


# --- filled canvases --------------------------------------------------------------------------


@pytest.mark.parametrize("name", CASES)
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


@pytest.mark.parametrize("name", CASES)
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


@pytest.mark.build
@pytest.mark.parametrize("name", CASES)
def test_built_page_shows_output_pdf_and_canvas_link(built_site, name):
    site, _ = built_site
    html = (site / "case-studies" / name / "index.html").read_text(encoding="utf-8")
    assert "Part 1: sizing, from the stated assumptions" in html  # the executed output
    assert "<math" in html  # formulas rendered to MathML
    assert f'href="../../canvas/?load={name}"' in html
    assert (site / "case-studies" / f"{name}.pdf").read_bytes().startswith(b"%PDF")
    published = json.loads((site / "case-studies" / f"{name}.canvas.json").read_text())
    assert published == canvas_values(name)  # what ?load= fetches
