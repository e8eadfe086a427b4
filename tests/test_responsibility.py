"""The responsibility map: the Shapley code path on synthetic games with known answers
(additive contributions, efficiency, a group switched off, interactions, the sampling
estimator against the exact one), the group_practice intervention on both models, real
coalition runs (the same on 1 and 2 workers, forks equal runs from scratch, resume from
the store) and bad input (fuzzed)."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from cxsim.core.parameters import ParameterError
from cxsim.engine.interventions import REFERENCE_STATES, from_dict
from cxsim.engine.model import CXModel
from cxsim.experiments.responsibility import (
    GROUPINGS,
    METRICS,
    TOTAL,
    CoalitionTask,
    decompose,
    plan_coalitions,
    plan_runs,
    responsibility,
    run_coalition_task,
    run_quantities,
)
from cxsim.experiments.specs import run_spec
from cxsim.interfaces.cli import main
from cxsim.reference import ReferenceModel

GROUPS = ["a", "b", "c", "d", "e"]
#: A tiny organisation: every department, level and touchpoint; runs of a few tenths of
#: a second.
TINY = {"organisation.n_employees": 60, "customers.n_customers": 800,
        "run.burn_in_days": 10, "run.days": 20, "run.summary_window_days": 10}


def _bits(mask: int, k: int) -> np.ndarray:
    return np.array([(mask >> i) & 1 for i in range(k)], dtype=float)


def _noise(mask: int, replicate: int, scale: float) -> float:
    """Noise of one coalition in one replicate (its own seeded draw)."""
    return scale * float(np.random.default_rng([mask, replicate, 99]).normal())


def _groups(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["group"] != TOTAL].set_index("group")


# ---------------------------------------------------------------------- synthetic games


@pytest.mark.parametrize("orientation", [1.0, -1.0])
def test_additive_game_gives_the_known_contributions_and_efficiency(orientation):
    contributions = np.array([3.0, -1.0, 0.5, 2.0, 0.0])

    def value(mask, replicate):  # a replicate-level offset: common to every coalition
        return 10.0 + replicate + orientation * float(contributions @ _bits(mask, 5))

    table, pairs = decompose(value, GROUPS, 4, orientation=orientation)
    rows = _groups(table)
    np.testing.assert_allclose(rows["contribution"], contributions, atol=1e-12)
    total = table[table["group"] == TOTAL].iloc[0]
    assert total["contribution"] == pytest.approx(contributions.sum())
    assert rows["contribution"].sum() == pytest.approx(total["contribution"])
    np.testing.assert_allclose(rows["share"], contributions / contributions.sum())
    # no interaction in an additive game
    np.testing.assert_allclose(pairs["interaction"], 0.0, atol=1e-12)
    np.testing.assert_allclose(pairs["second_difference"], 0.0, atol=1e-12)


def test_efficiency_holds_replicate_by_replicate_in_a_game_with_interactions():
    def value(mask, replicate):
        x = _bits(mask, 5)
        return float((x @ [1, 2, 3, 4, 5]) ** 1.5 + 4 * x[0] * x[3] + _noise(mask, replicate, 1))

    from cxsim.experiments.responsibility import shapley

    estimate = shapley(value, plan_coalitions(5, 6))
    np.testing.assert_allclose(estimate.values.sum(axis=1), estimate.gap, rtol=1e-12)


def test_a_group_switched_off_by_construction_gets_a_ci_covering_zero():
    contributions = np.array([3.0, 1.5, 0.0, 2.0, 1.0])  # group c does nothing

    def value(mask, replicate):  # each coalition run has its own noise
        return float(contributions @ _bits(mask, 5)) + _noise(mask, replicate, 0.5)

    rows = _groups(decompose(value, GROUPS, 10)[0])
    assert rows.loc["c", "ci_low"] <= 0 <= rows.loc["c", "ci_high"]
    assert not rows.loc["c", "significant"]
    for group, c in zip(GROUPS, contributions):
        assert rows.loc[group, "ci_low"] <= c <= rows.loc[group, "ci_high"], group
        assert rows.loc[group, "significant"] == (c != 0), group


def test_a_pure_pair_effect_is_split_equally_and_reported_as_an_interaction():
    def value(mask, replicate):  # a and b only matter together
        x = _bits(mask, 5)
        return 6.0 * x[0] * x[1] + 1.0 * x[2]

    table, pairs = decompose(value, GROUPS, 2)
    rows = _groups(table)
    assert rows.loc["a", "contribution"] == pytest.approx(3.0)
    assert rows.loc["b", "contribution"] == pytest.approx(3.0)
    pair = pairs[(pairs["group_a"] == "a") & (pairs["group_b"] == "b")].iloc[0]
    assert pair["interaction"] == pytest.approx(6.0)
    assert pair["second_difference"] == pytest.approx(6.0)
    others = pairs[~((pairs["group_a"] == "a") & (pairs["group_b"] == "b"))]
    np.testing.assert_allclose(others["interaction"], 0.0, atol=1e-12)


def test_the_sampling_estimator_agrees_with_the_exact_one_within_its_stated_error():
    weights = np.array([1.0, 2.0, 3.0, 0.5, 4.0, 1.5])
    groups = [f"g{i}" for i in range(6)]

    def value(mask, replicate):  # non-additive: marginal contributions vary by order
        x = _bits(mask, 6)
        return float(np.sqrt(1 + (x @ weights) ** 2) + 3 * x[1] * x[4] - 2 * x[0] * x[2]
                     + 0.1 * replicate)

    exact = _groups(decompose(value, groups, 3, method="exact")[0])
    sampled_table = decompose(value, groups, 3, method="sampling", permutations=40, seed=5)[0]
    sampled = _groups(sampled_table)
    assert (sampled["sampling_se"] > 0).all()
    error = (sampled["contribution"] - exact["contribution"]).abs()
    assert (error <= 4 * sampled["sampling_se"]).all(), pd.concat([error,
                                                                   sampled["sampling_se"]], axis=1)
    # efficiency holds for every sampled order too
    total = sampled_table[sampled_table["group"] == TOTAL].iloc[0]["contribution"]
    assert sampled["contribution"].sum() == pytest.approx(total)


def test_auto_is_exact_up_to_eight_groups_then_samples():
    assert plan_coalitions(8, 2).method == "exact"
    assert len(plan_coalitions(8, 2).coalitions(0)) == 256
    plan = plan_coalitions(9, 2, permutations=4, seed=1)
    assert plan.method == "sampling"
    masks = plan.coalitions(1)
    assert 0 in masks and (1 << 9) - 1 in masks and len(masks) < 512
    again = plan_coalitions(9, 2, permutations=4, seed=1)
    assert all(np.array_equal(a, b) for a, b in zip(plan.orders, again.orders))


# ---------------------------------------------------------------------- group_practice


@pytest.mark.parametrize("state", sorted(REFERENCE_STATES))
@pytest.mark.parametrize("model_class", [CXModel, ReferenceModel])
def test_group_practice_holds_its_group_at_the_reference_state(state, model_class):
    ref = REFERENCE_STATES[state]
    model = model_class(rng=2, n_employees=60, n_customers=800, burn_in_days=5, days=10,
                        interventions=[{"type": "group_practice", "departments": ["support"],
                                        "levels": ["frontline"], "state": state}])
    silo_before = None
    for _ in range(6):  # the warm-up, and the first intervention day
        model.step()
        if model.day == 5:
            silo_before = model.department_silo.copy() if hasattr(model, "department_silo") \
                else None
    support = model.structure.department_index("support")
    group = (model.department == support) & (model.level == 2) & model.active
    # held before service, then one day of dynamics: close to the state's values
    for name in ("engagement", "skill", "empowerment", "centricity"):
        values = np.asarray(getattr(model, name))[group]
        assert np.abs(values - getattr(ref, name)).max() < 0.1, name
    others = (model.department != support) & model.active
    assert np.abs(np.asarray(model.skill)[others] - ref.skill).max() > 0.1
    if silo_before is not None:
        moved = model.department_silo[support] - silo_before[support]
        assert (moved < 0) if ref.connected else (moved > 0)


def test_group_practice_round_trips_and_refuses_an_unknown_state():
    iv = from_dict({"type": "group_practice", "state": "lagging", "levels": ["manager"]})
    assert from_dict(iv.to_dict()) == iv
    with pytest.raises(ParameterError, match="interventions.group_practice.state"):
        from_dict({"type": "group_practice", "state": "heroic"})


# ---------------------------------------------------------------------- real coalition runs


@pytest.fixture(scope="module")
def by_level():
    return responsibility("p13_cx_in_support", by="level", replicates=2, workers=1,
                          overrides=TINY, metrics=["csat", "nps", "revenue"])


def test_real_runs_are_efficient_and_identical_on_one_and_two_workers(by_level, tmp_path):
    for _metric, rows in by_level.table.groupby("metric"):
        total = rows[rows["group"] == TOTAL]["contribution"].iloc[0]
        assert rows[rows["group"] != TOTAL]["contribution"].sum() == pytest.approx(total)
    assert len(by_level.runs) == 2 * 8 and by_level.failed == 0
    # lagging everyone loses customers' satisfaction
    csat = by_level.table[(by_level.table["metric"] == "csat")
                          & (by_level.table["group"] == TOTAL)].iloc[0]
    assert csat["configured"] > csat["reference"] and csat["contribution"] > 0
    two = responsibility("p13_cx_in_support", by="level", replicates=2, workers=2,
                         overrides=TINY, metrics=["csat", "nps", "revenue"],
                         out=tmp_path / "store")
    pd.testing.assert_frame_equal(two.table, by_level.table)
    pd.testing.assert_frame_equal(two.interactions, by_level.interactions)
    # resume: every run is in the store; nothing runs again, the same answer
    files = sorted((tmp_path / "store" / "runs").glob("*.parquet"))
    stamps = [p.stat().st_mtime_ns for p in files]
    again = responsibility("p13_cx_in_support", by="level", replicates=2, workers=2,
                           overrides=TINY, metrics=["csat", "nps", "revenue"],
                           out=tmp_path / "store")
    assert [p.stat().st_mtime_ns for p in files] == stamps
    pd.testing.assert_frame_equal(again.table, by_level.table)
    # another analysis is refused in that store
    with pytest.raises(ParameterError, match="another sweep"):
        responsibility("p13_cx_in_support", by="level", replicates=3, workers=1,
                       overrides=TINY, out=tmp_path / "store")


def test_a_forked_coalition_equals_its_run_from_scratch():
    specs = plan_runs("p13_cx_in_support", by="level", replicates=2, overrides=TINY)
    chosen = (specs[3], specs[6])  # two coalitions of replicate 0
    assert chosen[0].seed == chosen[1].seed
    outcomes = run_coalition_task(CoalitionTask(chosen))
    for spec, outcome in zip(chosen, outcomes):
        expected = run_quantities(run_spec(spec))
        assert outcome.error is None
        assert outcome.summary == pytest.approx(expected, nan_ok=True)


def test_summary_only_recording_gives_the_same_daily_metrics_and_summary():
    """Recorder.summary_only (the coalition runs' recording) drops the per-group rows and
    nothing else: the daily frame and the summary are bit-identical to full recording."""
    from cxsim.results import Result

    size = {k.split(".")[1]: v for k, v in TINY.items()}
    warm = CXModel(rng=3, **size).run_warm_up()
    practice = [{"type": "group_practice", "departments": ["support"], "state": "lagging"}]
    full = warm.fork(practice).run()
    light = warm.fork(practice)
    light.recorder.summary_only()
    light.run()
    assert light.recorder.by_department is None and light.recorder.by_team is None
    assert np.isfinite(full.recorder.by_team[-1]).any()
    full_result, light_result = Result(full, 3, record=()), Result(light, 3, record=())
    pd.testing.assert_frame_equal(light_result.daily, full_result.daily, check_exact=True)
    assert light_result.cohorts == full_result.cohorts
    assert run_quantities(light_result) == pytest.approx(run_quantities(full_result),
                                                          rel=0, abs=0, nan_ok=True)


@pytest.mark.parametrize("frames", [("departments",), ("touchpoints", "teams"), ()])
def test_recording_only_some_frames_keeps_them_and_every_daily_metric_identical(frames):
    """Recorder.record_only (what comparisons use: the frames their specs keep and their
    measure reads) keeps the named per-group rows exactly and changes nothing else."""
    from cxsim.results import Result

    size = {k.split(".")[1]: v for k, v in TINY.items()}
    warm = CXModel(rng=5, **size).run_warm_up()
    full = warm.fork().run()
    light = warm.fork()
    light.recorder.record_only(frames)
    light.run()
    buffers = {"departments": "by_department", "touchpoints": "by_touchpoint",
               "teams": "by_team"}
    for frame, name in buffers.items():
        kept = getattr(light.recorder, name)
        if frame in frames:
            np.testing.assert_array_equal(kept, getattr(full.recorder, name))
        else:
            assert kept is None
    full_result, light_result = Result(full, 5, record=frames), Result(light, 5, record=frames)
    pd.testing.assert_frame_equal(light_result.daily, full_result.daily, check_exact=True)
    assert light_result.summary() == pytest.approx(full_result.summary(), rel=0, abs=0,
                                                   nan_ok=True)


def test_comparisons_record_what_the_measure_declares():
    from cxsim.experiments.comparisons import measured_frames
    from cxsim.experiments.patterns import measure_patterns

    assert measured_frames(None) == ()
    assert measured_frames(measure_patterns) == ("departments",)
    assert set(measured_frames(lambda model, result: {})) == {"departments", "touchpoints",
                                                               "teams"}


def test_coalitions_share_their_replicates_seed_and_differ_only_in_group_practice():
    specs = plan_runs("baseline", by="department", replicates=2, overrides=TINY,
                      groups=["support", "product"])
    assert len(specs) == 2 * 4
    assert {s.seed for s in specs[:4]} == {1} and {s.seed for s in specs[4:]} == {2}
    assert len({s.parameters for s in specs}) == 1
    kinds = [[t["type"] for t in s.intervention_tables] for s in specs[:4]]
    assert kinds == [[], ["group_practice"], ["group_practice"], ["group_practice"] * 2]


def test_the_cli_prints_the_map_and_writes_csv_and_plots(tmp_path, capsys):
    out = tmp_path / "map"
    args = ["responsibility", "p13_cx_in_support", "--by", "level", "--replicates", "2",
            "--workers", "1", "--metric", "csat", "--employees", "60", "--customers", "800",
            "--set", "run.burn_in_days=10", "--days", "20", "--out", str(out), "--quiet"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "frontline" in text and TOTAL in text and "largest interactions" in text
    table = pd.read_csv(out / "responsibility.csv")
    assert set(table["group"]) == {"executive", "manager", "frontline", TOTAL}
    assert (out / "interactions.csv").is_file() and (out / "responsibility_csat.png").is_file()
    assert main(["sweep", "--status", str(out)]) == 0  # the store is a sweep store
    assert "16 runs: 16 done" in capsys.readouterr().out


# ---------------------------------------------------------------------- bad input


BASE = ["responsibility", "baseline", "--replicates", "2", "--by", "level"]


@pytest.mark.parametrize("extra, needle", [
    (["--groups", "executive,boss"], "unknown group 'boss'"),
    (["--groups", "executive"], "at least 2 groups"),
    (["--metric", "csatt"], "unknown metric 'csatt': did you mean csat"),
    (["--by", "team"], "--by = 'team' is not allowed"),
    (["--reference", "perfect"], "--reference = 'perfect' is not allowed"),
    (["--replicates", "1"], "--replicates = 1 is not allowed"),
    (["--workers", "0"], "--workers = 0 is not allowed"),
    (["--days", "0"], "run.days"),
])
def test_bad_input_is_one_line_with_exit_2(extra, needle, capsys):
    assert main(BASE + extra) == 2
    err = capsys.readouterr().err
    assert needle in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_a_grouping_with_one_group_is_refused():
    from cxsim.core.structure import Structure
    from cxsim.experiments.responsibility import groups_of, select_groups

    structure = Structure()
    with pytest.raises(ParameterError, match="at least 2 groups"):
        select_groups(groups_of(structure, "department")[:1], None, "department")


TEXT = st.text(alphabet="abcdefghijklmnopqrstuvwxyz,_/ -0123456789", max_size=20)


@given(by=st.one_of(TEXT, st.sampled_from(GROUPINGS)),
       metric=st.one_of(TEXT, st.sampled_from(["csat", "nps,revenue", "churn_rate"])),
       groups=st.one_of(st.none(), TEXT, st.sampled_from(["executive,manager", "support"])),
       replicates=st.one_of(st.integers(-3, 4), TEXT),
       reference=st.one_of(TEXT, st.sampled_from(["frontier", "lagging"])))
def test_fuzzed_python_input_is_planned_or_refused_in_one_line(by, metric, groups, replicates,
                                                               reference):
    try:
        specs = plan_runs("baseline", by=by, metrics=metric, groups=groups,
                          replicates=replicates, reference=reference,
                          overrides={"run.days": 5, "run.burn_in_days": 2})
    except ParameterError as error:
        assert len(str(error).splitlines()) == 1
        return
    assert isinstance(replicates, int) and replicates >= 2
    assert reference in ("frontier", "lagging")
    assert all(m.strip() in METRICS for m in metric.split(","))
    assert len(specs) >= 2 * 4


@given(option=st.sampled_from(["--by", "--metric", "--groups", "--replicates", "--reference",
                               "--seed", "--permutations", "--workers"]),
       value=TEXT)
def test_fuzzed_cli_options_exit_2_with_one_line(option, value):
    valid = {"--by": GROUPINGS, "--reference": ("frontier", "lagging")}
    assume(value.strip() not in valid.get(option, ()) and not value.startswith("-"))
    if option == "--metric":
        assume(not all(m.strip() in METRICS for m in value.split(",")))
    if option in ("--replicates", "--seed", "--permutations", "--workers"):
        assume(not value.strip().isdigit())
    if option == "--groups":
        assume(sorted(n.strip() for n in value.split(",")) not in (
            ["executive", "manager"], ["executive", "frontline"], ["frontline", "manager"],
            ["executive", "frontline", "manager"]))
    if option == "--by":
        assume(sorted(p.strip() for p in value.split(",")) != ["department", "level"])
    args = ["responsibility", "baseline", "--replicates", "2", "--by", "level",
            option, value]
    if option == "--replicates":
        args = ["responsibility", "baseline", "--by", "level", option, value]
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        assert main(args) == 2
    err = stderr.getvalue()
    assert err.startswith("cxsim: error: ") and len(err.strip().splitlines()) == 1, err


def test_decompose_refuses_fewer_than_two_replicates_or_groups():
    with pytest.raises(ParameterError, match="--replicates = 1"):
        decompose(lambda m, r: 0.0, GROUPS, 1)
    with pytest.raises(ParameterError, match="groups = 1"):
        decompose(lambda m, r: 0.0, ["a"], 3)
    assert np.isnan(_groups(decompose(lambda m, r: 1.0, GROUPS, 2)[0])["share"]).all()


def test_group_practice_docks_between_the_engine_and_the_reference_model():
    """The same intervention on both implementations gives the same distribution of CSAT
    and FCR (the Welch-style bound of tests/test_docking.py, 4 standard errors)."""
    from cxsim.results import Result

    size = dict(n_employees=60, n_customers=800, burn_in_days=10, days=25,
                summary_window_days=15)
    practice = [{"type": "group_practice", "departments": ["support"], "state": "lagging"},
                {"type": "group_practice", "levels": ["manager"], "state": "frontier"}]
    summaries = {}
    for cls in (CXModel, ReferenceModel):
        runs = [Result(cls(rng=seed, interventions=practice, **size).run(), seed).summary()
                for seed in range(1, 6)]
        summaries[cls] = pd.DataFrame(runs)
    engine, reference = summaries[CXModel], summaries[ReferenceModel]
    for metric in ("csat", "fcr"):
        se = np.hypot(engine[metric].std() / np.sqrt(5), reference[metric].std() / np.sqrt(5))
        assert abs(engine[metric].mean() - reference[metric].mean()) <= 4 * se, metric


@given(manifest=st.one_of(st.binary(max_size=60), st.sampled_from([
    b'{"format": "cxsim.SweepStore/1", "spec": {"name": "a sweep"}, "runs": []}',
    b'{"format": "cxsim.SweepStore/1"}', b"[]", b"{}",
    b'{"format": "cxsim.SweepStore/1", "spec": {"format": "cxsim.Responsibility/1"}}',
    b'{"format": "cxsim.SweepStore/1", "runs": 5, "spec": {"format": '
    b'"cxsim.Responsibility/1", "groups": 3}}'])))
def test_fuzzed_stored_maps_are_refused_in_one_line(manifest, tmp_path_factory):
    """load_responsibility (the report's --responsibility-from) refuses a directory
    without a manifest, and any manifest that is not a responsibility map's, in one line."""
    from cxsim.experiments.responsibility import load_responsibility

    root = tmp_path_factory.mktemp("stored")
    with pytest.raises(ParameterError, match="no sweep.json there"):
        load_responsibility(root)
    (root / "sweep.json").write_bytes(manifest)
    with pytest.raises(ParameterError) as refused:
        load_responsibility(root)
    assert len(str(refused.value).splitlines()) == 1
