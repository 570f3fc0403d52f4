"""Behaviour of the data-engineering snippets: memory layout, row versus column tables, CSV
versus .npy, and a streaming feature that must match its batch version. Timings are never
asserted; small settings keep this file fast."""

import numpy as np
import pytest

from conftest import load_snippet

layout = load_snippet("data-engineering/memory_layout.py")
table = load_snippet("data-engineering/row_vs_column_table.py")
files = load_snippet("data-engineering/csv_vs_npy.py")
stream = load_snippet("data-engineering/streaming_feature.py")


# --- memory_layout.py -------------------------------------------------------------------------


def test_numpy_arrays_can_be_either_order_and_views_keep_the_memory():
    a = np.arange(12, dtype=np.int64).reshape(3, 4)
    assert layout.layout_facts(a) == {"shape": (3, 4), "strides": (32, 8), "C": True, "F": False}
    assert layout.layout_facts(a.T) == {"shape": (4, 3), "strides": (8, 32), "C": False, "F": True}
    assert np.shares_memory(a, a.T)
    fortran = np.asfortranarray(a)
    assert layout.layout_facts(fortran)["strides"] == (8, 24)
    assert not np.shares_memory(a, fortran)
    column = layout.layout_facts(a[:, 1])
    assert column["strides"] == (32,) and not column["C"] and not column["F"]


@pytest.mark.parametrize("order", ["C", "F"])
def test_slice_by_slice_sums_match_numpy_reductions(order):
    a = np.asarray(np.random.default_rng(0).random((37, 23)), order=order)
    np.testing.assert_allclose(layout.sum_each_row(a), a.sum(axis=1))
    np.testing.assert_allclose(layout.sum_each_column(a), a.sum(axis=0))
    assert layout.sum_each_row(a).shape == (37,)
    assert layout.sum_each_column(a).shape == (23,)


def test_median_seconds_discards_warmup_and_takes_the_median():
    ticks = iter([0.0, 5.0, 10.0, 11.0, 20.0, 23.0])  # timed runs last 5, 1 and 3 seconds
    calls = []
    seconds = layout.median_seconds(
        lambda: calls.append(1), repeats=3, warmup=2, clock=lambda: next(ticks)
    )
    assert seconds == 3.0
    assert len(calls) == 5


def test_benchmark_measures_every_layout_and_pattern():
    results = layout.benchmark(n=64, repeats=1, warmup=0, rng=np.random.default_rng(0))
    expected = {(lay, p) for lay in ("C order", "F order") for p in layout.PATTERNS}
    assert set(results) == expected | {"loop overhead"}
    assert all(value > 0 for value in results.values())


# --- row_vs_column_table.py -------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_tables():
    return table.make_table(1_000, 8, np.random.default_rng(0))


def test_the_two_layouts_hold_the_same_values(two_tables):
    by_rows, by_columns = two_tables
    assert by_rows.flags.c_contiguous and by_columns.flags.f_contiguous
    assert np.array_equal(by_rows, by_columns)
    assert by_columns[:, 3].flags.c_contiguous  # a column of the column layout is contiguous
    assert not by_rows[:, 3].flags.c_contiguous


def test_queries_give_the_same_answer_in_both_layouts(two_tables):
    by_rows, by_columns = two_tables
    assert table.column_mean(by_rows, 2) == pytest.approx(by_rows[:, 2].mean())
    assert table.column_mean(by_rows, 2) == pytest.approx(table.column_mean(by_columns, 2))
    ids = np.array([5, 999, 0, 5])
    records = table.fetch_records(by_columns, ids)
    assert records.shape == (4, 8)
    assert np.array_equal(records, by_rows[ids])


def test_loop_and_vectorised_versions_agree(two_tables):
    _, by_columns = two_tables
    loop = table.amount_in_euros_loop(by_columns, 300)
    vectorised = table.amount_in_euros_vectorised(by_columns, 300)
    assert loop.shape == (300,)
    np.testing.assert_array_equal(loop, vectorised)
    np.testing.assert_array_equal(loop, by_columns[:300, 0] * by_columns[:300, 1])


def test_faster_names_the_winning_layout():
    assert table.faster(rows=4.0, columns=1.0) == "columns 4.0x"
    assert table.faster(rows=1.0, columns=2.5) == "rows 2.5x"


# --- csv_vs_npy.py ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_table():
    return np.random.default_rng(1).lognormal(3.0, 1.0, size=(500, 4))


@pytest.mark.parametrize(
    ("name", "exact"),
    [("6 digits.csv", False), ("15 digits.csv", False), ("17 digits.csv", True)]
    + [("shortest.csv", True)],
)
def test_csv_round_trip_is_exact_only_with_enough_digits(tmp_path, small_table, name, exact):
    path = tmp_path / name
    files.write_csv(path, small_table, files.CSV_FORMATS[name])
    report = files.round_trip_report(small_table, files.load_csv(path))
    assert report["exact"] is exact
    assert (report["changed"] == 0.0) is exact
    if name == "6 digits.csv":
        assert report["changed"] > 0.9
        assert report["max relative error"] <= 5e-6 * (1 + 1e-9)  # half a unit in the 6th digit
    if name == "15 digits.csv":
        assert 0 < report["max relative error"] <= 5.3e-15  # plus float64 rounding


def test_npy_round_trip_is_exact_and_keeps_the_order(tmp_path, small_table):
    np.save(tmp_path / "c.npy", small_table)
    np.save(tmp_path / "f.npy", np.asfortranarray(small_table))
    for name in ("c.npy", "f.npy"):
        assert files.round_trip_report(small_table, files.load_npy(tmp_path / name))["exact"]
    assert files.load_npy(tmp_path / "f.npy").flags.f_contiguous
    assert (tmp_path / "c.npy").stat().st_size == small_table.nbytes + 128  # header, then data


def test_round_trip_report_counts_changes():
    original = np.array([1.0, 2.0, 4.0, 8.0])
    report = files.round_trip_report(original, np.array([1.0, 2.2, 4.0, 8.0]))
    assert not report["exact"]
    assert report["changed"] == 0.25
    assert report["max relative error"] == pytest.approx(0.1)


def test_a_column_of_a_column_major_file_spans_few_pages(tmp_path):
    n_rows, n_cols = 4096, 8
    data = np.arange(n_rows * n_cols, dtype=np.float64).reshape(n_rows, n_cols)
    np.save(tmp_path / "rows.npy", data)
    np.save(tmp_path / "columns.npy", np.asfortranarray(data))
    all_pages = -(-(data.nbytes + 128) // files.PAGE)  # the header is 128 bytes here
    column_pages = n_rows * 8 // files.PAGE
    assert files.pages_for_one_column(tmp_path / "rows.npy", data.shape, 3) == all_pages
    in_columns = files.pages_for_one_column(tmp_path / "columns.npy", data.shape, 3)
    assert column_pages <= in_columns <= column_pages + 1  # +1: the run may straddle a page


# --- streaming_feature.py ---------------------------------------------------------------------


def toy_log():
    """Card 1 at 0, 100, 600, 601, 1300 s; card 2 in between, twice at the same second."""
    cards = np.array([1, 2, 1, 2, 1, 1, 1])
    times = np.array([0, 50, 100, 50, 600, 601, 1300])
    expected = np.array([1, 1, 2, 2, 2, 3, 1])  # window (t - 600, t]: t = 0 leaves at t = 600
    return cards, times, expected


def test_batch_feature_matches_a_hand_count():
    cards, times, expected = toy_log()
    np.testing.assert_array_equal(stream.count_in_window_batch(cards, times, 600), expected)


def test_batch_feature_does_not_need_a_sorted_log():
    cards, times = np.array([1, 1, 1, 2]), np.array([601, 0, 100, 5])
    np.testing.assert_array_equal(stream.count_in_window_batch(cards, times, 600), [2, 1, 2, 1])


def test_stream_feature_matches_a_hand_count_and_reports_its_state():
    cards, times, expected = toy_log()
    values, (keys, held, live) = stream.count_in_window_stream(cards, times, 600)
    np.testing.assert_array_equal(values, expected)
    assert keys == 2
    assert held == 3  # card 1 keeps only 1300; card 2's two events wait for its next event
    assert live == 1  # at t = 1300 only card 1's last event is inside the window


def test_a_closed_window_counts_the_boundary_event():
    cards, times, _ = toy_log()
    closed = stream.count_in_window_batch(cards, times, 601)  # [t - 600, t] in whole seconds
    assert closed[4] == 3  # at t = 600 the event at t = 0 now counts


def test_batch_and_stream_agree_on_a_generated_log():
    cards, times = stream.make_log(np.random.default_rng(3))
    batch = stream.count_in_window_batch(cards, times)
    values, _ = stream.count_in_window_stream(cards, times)
    np.testing.assert_array_equal(batch, values)
    assert batch.max() >= stream.BURST[0] // 2  # the bursts of card testing are visible


def test_prompt_arrivals_are_seconds_late_and_late_ones_break_agreement():
    cards, times = stream.make_log(np.random.default_rng(4))
    batch = stream.count_in_window_batch(cards, times)
    arrival, order = stream.arrival_order(times, np.random.default_rng(5), late_share=0.0)
    assert np.all(arrival > times) and np.all(arrival - times < 60)
    assert np.all(np.diff(arrival[order]) >= 0)  # the order is the order of arrival
    arrival, order = stream.arrival_order(times, np.random.default_rng(5), late_share=0.05)
    by_arrival, _ = stream.count_in_window_stream(cards[order], arrival[order])
    late = np.empty_like(batch)
    late[order] = by_arrival
    assert np.mean(late != batch) > 0.01
