"""The report: its content (sections, client-readable numbers, escaped user text), the
decomposition of the CSAT effect, atomic files, stored comparisons and the command
line's bad input. The browser checks are in tests/test_report_browser.py."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import io
import re
import shutil
import types
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import escape
from report_helpers import (
    HOSTILE_DESCRIPTION,
    HOSTILE_NAME,
    REPLICATES,
    SEED,
    SMALL_ARGS,
    scenario_paths,
    scenarios,
    small_comparison,
    small_responsibility,
)

from cxsim.core import dynamics as dyn
from cxsim.core.parameters import ParameterError
from cxsim.interfaces import report
from cxsim.interfaces.cli import main
from cxsim.interfaces.formatting import (
    UNIT_FORMATS,
    format_difference,
    format_interval,
    format_value,
)
from cxsim.interfaces.report import (
    SECTIONS,
    build_report,
    check_stored_comparison,
    comparison_scenario,
    experience_decomposition,
    experience_weights,
    quality_weights,
    report_sections,
    write_report,
)
from cxsim.interfaces.responsibility_plot import metric_reading, reference_description


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


class Elements(HTMLParser):
    """Tags, attributes and text of an HTML document."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse(document: str) -> Elements:
    parser = Elements()
    parser.feed(document)
    return parser


def visible_text(document: str) -> str:
    """The document's text nodes, whitespace collapsed (style sheet left out)."""
    body = document[document.index("<body>"):]
    return " ".join(" ".join(parse(body).text).split())


@pytest.fixture
def no_figures(monkeypatch):
    """Leave the figures out where a test is about something else (they take seconds;
    tests/test_report_browser.py checks them)."""
    monkeypatch.setattr(report, "report_figures", lambda c: {"charts": [], "economics": []})


@pytest.fixture(scope="module")
def comparison():
    return small_comparison()


@pytest.fixture(scope="module")
def document(comparison):
    return build_report(comparison, scenarios(), command="cxsim report test")


# ---------------------------------------------------------------------- content


def test_every_section_is_present_once_in_order(document):
    ids = [attrs.get("id") for tag, attrs in parse(document).tags if tag == "section"]
    assert ids == [section for section, _ in SECTIONS]


def test_self_contained_no_script_no_external_reference(document):
    elements = parse(document)
    tags = {tag for tag, _ in elements.tags}
    assert "script" not in tags and "link" not in tags and "iframe" not in tags
    for tag, attrs in elements.tags:
        for name in ("src", "href"):
            value = attrs.get(name)
            if value is not None:
                assert value.startswith(("data:", "#")), (tag, name, value[:60])
    assert "@import" not in document and "url(" not in document
    assert "@font-face" not in document


def test_user_text_is_escaped(document):
    assert "<script>" not in document
    assert "<img src=x" not in document
    assert str(escape(HOSTILE_NAME)) in document
    assert str(escape(HOSTILE_DESCRIPTION)) in document
    text = visible_text(document)
    assert HOSTILE_NAME in text and HOSTILE_DESCRIPTION in text  # shown as text


def test_headline_table_in_percent_and_points(comparison, document):
    row = comparison.summary.set_index(["scenario", "metric"]).loc[
        ("Regular CX training", "csat")]
    change = format_difference("share", row["difference"])
    interval = format_interval("share", row["difference_ci_low"], row["difference_ci_high"],
                               signed=True)
    assert change.endswith(" pp") and change in document and interval in document
    nps = comparison.summary.set_index(["scenario", "metric"]).loc[
        ("Regular CX training", "nps")]
    assert format_difference("points", nps["difference"]) in document
    # no raw floats of the summary (like 0.7712345) in the document's text
    text = visible_text(document)
    assert not re.search(r"\b0\.\d{5,}", text)


def test_assumptions_written_out_from_the_files(document):
    text = visible_text(document)
    assert "CX training" in text and "Clear guidelines" in text
    assert "starts on day 10 after the warm-up, is adopted gradually over 20 days" in text
    assert "all levels in support, operations" in text
    assert "organisation.silo_strength" in text  # the hostile scenario's changed parameter
    assert "Trainer and material cost per trainee hour" in text  # a cost field's meaning


def test_reproducibility_box(comparison, document):
    text = visible_text(document)
    import mesa

    assert f"Mesa version {mesa.__version__}" in text
    assert f"Seeds {SEED} to {SEED + REPLICATES - 1}" in text
    assert f"Replicates {REPLICATES} per scenario" in text
    assert "cxsim report test" in text


def test_limitations_name_few_replicates_and_small_size(document):
    text = visible_text(document)
    assert f"Only {REPLICATES} replicates per scenario" in text
    assert "A small organisation (100 employees, 2,000 customers)" in text


def test_scenarios_must_match_the_comparison(comparison):
    with pytest.raises(ParameterError, match="expected the baseline and the 2 compared"):
        build_report(comparison, scenarios()[:2])


def test_report_without_series_says_so(comparison):
    bare = dataclasses.replace(comparison, daily=None, departments=None, touchpoints=None,
                               economics_daily=None)
    document = build_report(bare)
    assert "Not available: the comparison holds no daily series" in " ".join(document.split())
    images = [attrs for tag, attrs in parse(document).tags if tag == "img"]
    assert len(images) == 1  # the effects need only the summary


# ---------------------------------------------------------------------- drivers


def test_experience_weights_recompose_contact_experience():
    """The decomposition's weights reproduce the model's contact experience exactly for
    contacts without clipping and at most one repeat (its stated approximation)."""
    rng = np.random.default_rng(3)
    n = 5000
    quality = rng.uniform(0.45, 0.55, n)
    problem = rng.random(n) < 0.3
    resolved = problem & (rng.random(n) < 0.6)
    contacts = np.where(problem, rng.integers(1, 3, n), 0)
    abandoned = problem & ~resolved & (rng.random(n) < 0.2)
    revealed = ~problem & (rng.random(n) < 0.05)
    exact = dyn.contact_experience(quality, problem, resolved, contacts, abandoned,
                                   revealed).sum()
    w = experience_weights()
    recomposed = (quality.sum() + w["problem"] * problem.sum()
                  + w["resolved"] * resolved.sum() + w["repeat"] * (contacts == 2).sum()
                  + w["abandoned"] * abandoned.sum() + w["revealed"] * revealed.sum())
    assert recomposed == pytest.approx(exact, rel=1e-12)
    assert w["resolved"] > 0 > w["problem"]


def test_quality_weights_reproduce_interaction_quality():
    w = quality_weights()
    skill, engagement, centricity, authority = 0.2, 0.4, 0.3, 0.5
    base = dyn.interaction_quality(np.array([skill]), np.array([engagement]),
                                   np.array([centricity]), np.array([authority]), 0.0, 0.0,
                                   0.0, np.zeros(1), 0.0, 0.0)[0]
    moved = dyn.interaction_quality(np.array([skill + 0.1]), np.array([engagement + 0.1]),
                                    np.array([centricity + 0.1]), np.array([authority + 0.1]),
                                    0.0, 0.0, 0.0, np.zeros(1), 0.0, 0.0)[0]
    assert moved - base == pytest.approx(0.1 * sum(w.values()), rel=1e-9)


def _with_copy_of_baseline(comparison, label: str, change=None):
    """A comparison-like object with one scenario: the baseline's own daily rows under
    ``label``, changed by ``change(frame)``."""
    daily = comparison.daily
    copy = daily[daily["scenario"] == comparison.baseline].copy()
    copy["scenario"] = label
    if change is not None:
        change(copy)
    return types.SimpleNamespace(daily=pd.concat([daily, copy]), config=comparison.config,
                                 baseline=comparison.baseline, scenarios=[label])


def test_identical_scenario_has_zero_effects_and_no_attribution(comparison):
    frame = experience_decomposition(_with_copy_of_baseline(comparison, "Same"))
    assert (frame["difference"] == 0).all()
    assert frame.loc[frame["kind"] == "experience", "share"].isna().all()
    assert not frame["significant"].any()


def test_quality_only_change_is_attributed_to_quality(comparison):
    def better_quality(frame):
        frame["quality_mean"] = frame["quality_mean"] + 0.05

    frame = experience_decomposition(
        _with_copy_of_baseline(comparison, "Better", better_quality)).set_index("component")
    assert frame.loc["quality", "difference"] == pytest.approx(0.05)
    assert frame.loc["problem_handling", "difference"] == 0
    assert frame.loc["defects", "difference"] == 0
    assert frame.loc["quality", "share"] == pytest.approx(1.0)


def test_fewer_repeats_show_as_problem_handling(comparison):
    def fewer_repeats(frame):  # every problem now resolved at its first contact
        frame["problem_contacts"] = frame["first_contacts"]
        frame["resolved_first"] = frame["first_contacts"]
        frame["resolved_repeat"] = 0.0
        frame["unresolved"] = 0.0

    frame = experience_decomposition(
        _with_copy_of_baseline(comparison, "FCR", fewer_repeats)).set_index("component")
    assert frame.loc["problem_handling", "difference"] > 0
    assert frame.loc["quality", "difference"] == 0
    assert frame.loc["problem_handling", "share"] == pytest.approx(1.0)


def test_decomposition_of_the_real_comparison_adds_up(comparison):
    frame = experience_decomposition(comparison)
    for label in comparison.scenarios:
        own = frame[frame["scenario"] == label].set_index("component")
        parts = own[own["kind"] == "experience"]
        assert parts["difference"].sum() == pytest.approx(own.loc["experience", "difference"])
        if own.loc["experience", "difference"] != 0:
            assert parts["share"].sum() == pytest.approx(1.0)
            assert parts["csat_part"].sum() == pytest.approx(own.loc["csat", "difference"])
        # CSAT from the tallies equals the comparison's own CSAT difference
        csat = comparison.summary.set_index(["scenario", "metric"]).loc[(label, "csat")]
        assert own.loc["csat", "difference"] == pytest.approx(csat["difference"])


def test_decomposition_needs_series(comparison):
    bare = types.SimpleNamespace(**{**vars(comparison), "daily": None})
    with pytest.raises(ParameterError, match="needs the comparison's daily series"):
        experience_decomposition(bare)


# ---------------------------------------------------------------------- files


def test_write_report_atomically_replaces_and_leaves_nothing_on_failure(comparison,
                                                                        tmp_path,
                                                                        monkeypatch,
                                                                        no_figures):
    path = tmp_path / "client" / "report.html"
    assert write_report(comparison, path, scenarios()) == [path]
    first = path.read_text(encoding="utf-8")
    assert first.startswith("<!DOCTYPE html>") and first.rstrip().endswith("</html>")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(report, "build_report", broken)
    with pytest.raises(RuntimeError):
        write_report(comparison, path, scenarios())
    assert path.read_text(encoding="utf-8") == first
    monkeypatch.setattr(report, "build_report", build_report)

    def failing_pdf(html, pdf, paper="a4", chromium=None):
        Path(pdf).write_bytes(b"%PDF-1.4 half")
        raise ParameterError("--pdf: Chromium failed")

    monkeypatch.setattr(report, "write_pdf", failing_pdf)
    monkeypatch.setattr(report, "find_chromium", lambda: "/usr/bin/true")
    new = tmp_path / "new.html"
    with pytest.raises(ParameterError):
        write_report(comparison, new, scenarios(), pdf=True)
    assert not new.exists() and not new.with_suffix(".pdf").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["client"]  # no temporary left


def test_stored_comparison_must_match(comparison, tmp_path):
    baseline, training, hostile = scenarios()
    check_stored_comparison(comparison, baseline, [training, hostile])
    with pytest.raises(ParameterError, match="'Regular CX training' has other interventions"):
        changed = type(training)(name=training.name, config=training.config,
                                 interventions=hostile.interventions,
                                 structure=training.structure)
        check_stored_comparison(comparison, baseline, [changed, hostile])
    with pytest.raises(ParameterError, match=r"'Empowerment with guidelines' is not in it"):
        from cxsim.experiments.scenarios import load_scenario

        check_stored_comparison(comparison, baseline,
                                [load_scenario("empowerment"), hostile])
    with pytest.raises(ParameterError, match="has other parameters"):
        check_stored_comparison(
            comparison, baseline,
            [training, type(hostile)(name=hostile.name, config=baseline.config,
                                     interventions=hostile.interventions,
                                     structure=hostile.structure)])
    with pytest.raises(ParameterError, match="the order differs"):
        check_stored_comparison(comparison, baseline, [hostile, training])


# ---------------------------------------------------------------------- command line


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """The small comparison stored as cxsim compare --out writes it."""
    directory = tmp_path_factory.mktemp("stored") / "comparison"
    small_comparison().save(directory)
    return directory


def test_cli_report_from_stored_comparison(stored, tmp_path, comparison, no_figures):
    out = tmp_path / "report.html"
    status, printed, err = run_cli(["report", *scenario_paths(), "--from", str(stored),
                                    "--out", str(out), "--title", "For <b>Client</b>"])
    assert status == 0, err
    assert f"Wrote {out}" in printed
    document = out.read_text(encoding="utf-8")
    assert "<title>For &lt;b&gt;Client&lt;/b&gt;</title>" in document
    text = visible_text(document)
    assert f"Comparison read from {stored}" in text
    assert f"cxsim report baseline training {scenario_paths()[2]} --from {stored}" in text
    row = comparison.summary.set_index(["scenario", "metric"]).loc[
        ("Regular CX training", "csat")]
    assert format_difference("share", row["difference"]) in document


def test_cli_runs_the_comparison_and_writes_the_seed_out(tmp_path, no_figures):
    """Without --seed the baseline file's seed (1) is used: the reproducibility box's
    command names it."""
    out = tmp_path / "report.html"
    status, printed, err = run_cli(["report", "baseline", "training", "--replicates", "2",
                                    *SMALL_ARGS, "--out", str(out), "--quiet"])
    assert status == 0, err
    assert "2 replicates (seeds 1..2)" in printed
    text = visible_text(out.read_text(encoding="utf-8"))
    assert ("cxsim report baseline training --replicates 2 --seed 1 --days 90 "
            f"--employees 100 --customers 2000 --set run.burn_in_days=30 --out {out}") in text


def test_cli_refuses_a_stored_comparison_of_other_scenarios(stored, tmp_path):
    out = tmp_path / "report.html"
    status, _, err = run_cli(["report", "baseline", "training", "empowerment", "--from",
                              str(stored), "--out", str(out)])
    assert status == 2
    assert err.count("\n") == 1
    assert "'Empowerment with guidelines' is not in it" in err
    assert not out.exists()


def test_cli_refuses_run_options_with_from(stored, tmp_path):
    status, _, err = run_cli(["report", *scenario_paths(), "--from", str(stored),
                              "--replicates", "5", "--out", str(tmp_path / "r.html")])
    assert status == 2 and "--replicates is not allowed with --from" in err


def test_cli_from_a_directory_without_a_comparison(tmp_path):
    status, _, err = run_cli(["report", "baseline", "training", "--from", str(tmp_path),
                              "--out", str(tmp_path / "r.html")])
    assert status == 2 and "holds no comparison.json" in err


def test_invalid_scenario_same_message_as_compare(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('extends = "baseline"\n[[interventions]]\ntype = "trainig"\n')
    args = ["baseline", str(bad), "--replicates", "2", *SMALL_ARGS]
    compared = run_cli(["compare", *args])
    reported = run_cli(["report", *args, "--out", str(tmp_path / "r.html")])
    assert compared[0] == reported[0] == 2
    assert reported[2] == compared[2] and "did you mean training?" in reported[2]
    assert not (tmp_path / "r.html").exists()


def test_pdf_without_chromium_is_refused_before_running(tmp_path, monkeypatch):
    monkeypatch.setenv("CXSIM_CHROMIUM", str(tmp_path / "no-chromium"))
    out = tmp_path / "r.html"
    status, printed, err = run_cli(["report", *scenario_paths(), "--replicates", "2",
                                    *SMALL_ARGS, "--out", str(out), "--pdf"])
    assert status == 2 and printed == ""
    assert err.count("\n") == 1
    assert "--pdf needs Chromium" in err and "apt-get install chromium" in err
    assert not out.exists()


@pytest.mark.parametrize("paper", ["a3", "A4 ", "legal"])
def test_paper_choices(paper, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["report", "baseline", "training", "--replicates", "2", "--out",
              str(tmp_path / "r.html"), "--pdf", "--paper", paper])
    assert exit_info.value.code == 2
    assert "--paper: invalid choice" in capsys.readouterr().err
    with pytest.raises(ParameterError, match="paper = 'a3' is not allowed"):
        write_report(small_comparison(), tmp_path / "r.html", paper="a3")
    assert not (tmp_path / "r.html").exists()


def test_replicates_required_without_from(tmp_path):
    status, _, err = run_cli(["report", "baseline", "training", "--out",
                              str(tmp_path / "r.html")])
    assert status == 2 and "--replicates is missing" in err


def test_pdf_named_like_the_report_is_refused_before_running(tmp_path):
    status, _, err = run_cli(["report", "baseline", "training", "--replicates", "2",
                              "--out", str(tmp_path / "r.PDF"), "--pdf"])
    assert status == 2 and "the PDF would replace it" in err


def test_out_that_is_a_directory_is_refused(tmp_path):
    status, _, err = run_cli(["report", "baseline", "training", "--replicates", "2",
                              "--out", str(tmp_path)])
    assert status == 2 and "it is a directory" in err


BAD_OPTIONS = st.sampled_from([
    ("--replicates", st.sampled_from(["0", "-1", "x", "", "1.5", "100001"])),
    ("--workers", st.sampled_from(["0", "y", "2000"])),
    ("--seed", st.sampled_from(["-3", "seed", str(2**128)])),
    ("--discount-rate", st.sampled_from(["2", "-0.1", "nan", "abc"])),
    ("--title", st.sampled_from(["", "   "])),
    ("--out", st.sampled_from(["", "/", "/proc/version/report.html"])),
])


@given(option=BAD_OPTIONS.flatmap(lambda pair: st.tuples(st.just(pair[0]), pair[1])))
def test_fuzz_bad_options_one_line_exit_2(option, tmp_path_factory):
    flag, value = option
    out = tmp_path_factory.mktemp("fuzz") / "r.html"
    argv = ["report", "baseline", "training", "--replicates", "2", *SMALL_ARGS,
            "--out", str(out), flag, value]
    status, printed, err = run_cli(argv)
    assert status == 2, (argv, err)
    assert err.startswith("cxsim: error: ") and err.count("\n") == 1
    assert flag in err
    assert not out.exists()


#: Text a scenario file can hold in a name or description (no control characters).
USER_TEXT = st.characters(blacklist_categories=("Cc", "Cs"))


@given(name=st.text(USER_TEXT, min_size=1, max_size=40).filter(
           lambda s: s.strip() and s not in ("Baseline", HOSTILE_NAME)),
       description=st.text(USER_TEXT, max_size=80))
def test_fuzz_scenario_text_is_always_escaped(comparison, name, description):
    """Any name or description shows as text: it parses back to the same text and
    never adds an element."""
    renamed = _renamed(comparison, comparison.scenarios[0], name)
    chosen = scenarios()
    chosen[1].description = description
    with pytest.MonkeyPatch.context() as patch:  # the figures are checked elsewhere
        patch.setattr(report, "report_figures", lambda c: {"charts": [], "economics": []})
        document = build_report(renamed, chosen)
    reference = _reference_tags(comparison, bool(description))
    elements = parse(document)
    text = visible_text(document)
    assert " ".join(name.split()) in text
    assert " ".join(description.split()) in text
    assert [tag for tag, _ in elements.tags] == reference


@functools.cache
def _reference_tags(comparison, described: bool) -> list[str]:
    """The tags of the report with a plain name (and a description if ``described``)."""
    plain = scenarios()
    plain[1].description = "x" if described else ""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(report, "report_figures", lambda c: {"charts": [], "economics": []})
        document = build_report(_renamed(comparison, comparison.scenarios[0], "X"), plain)
    return [tag for tag, _ in parse(document).tags]


def _renamed(comparison, old: str, new: str):
    """``comparison`` with scenario ``old`` called ``new`` everywhere."""
    def rename(frame):
        if frame is None:
            return None
        frame = frame.copy()
        if "scenario" in frame.columns:
            frame["scenario"] = frame["scenario"].replace({old: new})
        return frame

    fields = {key: rename(value) if isinstance(value, pd.DataFrame) else value
              for key, value in vars(comparison).items()}
    fields["scenarios"] = [new if s == old else s for s in comparison.scenarios]
    fields["specs"] = [{**row, "scenario": new if row["scenario"] == old else row["scenario"]}
                       for row in comparison.specs]
    return types.SimpleNamespace(**fields)


@given(unit=st.sampled_from(sorted(UNIT_FORMATS)),
       value=st.floats(-1e-3, 1e-3, allow_nan=False), compact=st.booleans())
def test_fuzz_no_minus_on_a_zero(unit, value, compact):
    """A number that rounds to zero never shows a minus ("-0.0 pp" reads as a loss)."""
    for text in (format_value(unit, value, compact), format_difference(unit, value, compact),
                 format_interval(unit, value, -value, signed=True, compact=compact)):
        assert not re.search(r"(^|\[|, )-[0.,]*0(?![0-9.,]*[1-9])", text), text


# ---------------------------------------------------------------------- who carries your CX


def test_responsibility_section_is_absent_unless_asked(document):
    ids = [attrs.get("id") for tag, attrs in parse(document).tags if tag == "section"]
    assert "responsibility" not in ids and "Who carries your CX" not in document
    assert report_sections(False) == SECTIONS


def test_responsibility_section_shows_figure_table_reading_and_reference(comparison,
                                                                         no_figures):
    result = small_responsibility()
    document = build_report(comparison, scenarios(), responsibility=result)
    elements = parse(document)
    ids = [attrs.get("id") for tag, attrs in elements.tags if tag == "section"]
    assert ids == [key for key, _ in report_sections(True)]
    assert ids[ids.index("drivers") + 1] == "responsibility"
    text = visible_text(document)
    assert "Who carries your CX" in text
    assert reference_description(result.reference) in text
    figures = [attrs["id"] for tag, attrs in elements.tags
               if tag == "figure" and attrs.get("id", "").startswith("figure-responsibility")]
    assert figures == [f"figure-responsibility-{m}" for m in result.metrics]
    for metric in result.metrics:
        reading = metric_reading(result, metric)
        assert " ".join(reading["sentences"]) in text
        for row in reading["rows"]:
            assert f"{row['group']} {row['contribution']} {row['interval']} {row['share']}" \
                in text
    assert "Responsibility map 'Baseline' by level, reference lagging" in text
    with pytest.raises(ParameterError, match="responsibility = str is not allowed"):
        build_report(comparison, scenarios(), responsibility="level")


def _synthetic_map(reference: str = "frontier"):
    """A map with known answers: group a carries 3 parts, b 1 part, c nothing (noise), and
    a and b add one more part together than apart."""
    from cxsim.experiments.responsibility import ResponsibilityResult, decompose

    def value(mask: int, replicate: int) -> float:
        a, b = mask & 1, mask >> 1 & 1
        noise = 0.002 * float(np.random.default_rng([mask, replicate, 7]).normal())
        return 0.5 + 0.03 * a + 0.01 * b + 0.01 * a * b + noise

    orientation = 1.0 if reference == "frontier" else -1.0
    table, pairs = decompose(value, ["a", "b", "c"], 6, metric="csat", unit="share",
                             orientation=orientation)
    return ResponsibilityResult(
        scenario="synthetic", by="department", reference=reference, groups=["a", "b", "c"],
        metrics=("csat",), seeds=list(range(1, 7)), method="exact", permutations=0,
        table=table, interactions=pairs, runs=pd.DataFrame(index=range(48)))


def test_reading_names_the_clear_shares_largest_first_and_the_unclear_groups():
    reading = metric_reading(_synthetic_map(), "csat")
    gap, shares, rest = reading["sentences"]
    assert gap.startswith("With every department at the frontier, CSAT would be ")
    # a: 3 parts + half the pair's part of 5 (70%); b: 1 + 0.5 of 5 (30%); noise 0.2 pp
    found = re.fullmatch(r"A would bring (\d+)% \[(\d+), (\d+)\] of it; "
                         r"b would bring (\d+)% \[(\d+), (\d+)\] of it\.", shares)
    assert found, shares
    a, a_low, a_high, b, b_low, b_high = map(int, found.groups())
    assert abs(a - 70) <= 3 and abs(b - 30) <= 3
    assert a_low <= a <= a_high and b_low <= b <= b_high
    assert rest == "No clear share (the interval covers zero): c."
    assert len(reading["interactions"]) == 1
    pair = re.fullmatch(r"a and b: \+([\d.]+) pp \[\+([\d.]+), \+([\d.]+)\], they matter "
                        r"more together than apart", reading["interactions"][0])
    assert pair, reading["interactions"]
    assert 0.5 < float(pair[1]) < 1.5  # the pair's extra part: +1 pp
    assert [row["group"] for row in reading["rows"]] == ["a", "b", "c", "(total gap)"]
    assert reading["rows"][-1]["share"] == "100%"


def test_cli_report_computes_the_map_with_the_reports_seeds_and_size(stored, tmp_path,
                                                                      no_figures):
    out = tmp_path / "report.html"
    status, printed, err = run_cli(["report", *scenario_paths(), "--from", str(stored),
                                    "--responsibility", "level", "--out", str(out),
                                    "--quiet"])
    assert status == 0, err
    result = small_responsibility()  # the same seeds, size and scenario from Python
    assert f"Who carries your CX: 'Baseline' by level, {len(result.runs)} runs" in printed
    text = visible_text(out.read_text(encoding="utf-8"))
    for metric in result.metrics:
        assert " ".join(metric_reading(result, metric)["sentences"]) in text
    assert f"--from {stored} --out {out} --responsibility level" in text


def test_cli_report_reads_a_stored_map_and_refuses_another_organisations(
        stored, tmp_path, comparison, no_figures):
    from cxsim.experiments.responsibility import load_responsibility, responsibility

    baseline = comparison_scenario(comparison, comparison.baseline)
    saved = responsibility(baseline, by="level", replicates=2, seed=9, workers=1,
                           metrics=["csat"], out=tmp_path / "map")
    again = load_responsibility(tmp_path / "map", metrics=["csat"])
    pd.testing.assert_frame_equal(again.table, saved.table)
    assert load_responsibility(tmp_path / "map", metrics="fcr").metrics == ("fcr",)
    out = tmp_path / "report.html"
    argv = ["report", *scenario_paths(), "--from", str(stored), "--out", str(out)]
    status, printed, err = run_cli(argv + ["--responsibility-from", str(tmp_path / "map")])
    assert status == 0, err
    text = visible_text(out.read_text(encoding="utf-8"))
    assert f"runs (read from {tmp_path / 'map'})" in text and "Who carries your CX" in text
    # another size: the same scenario's runs would differ
    responsibility("baseline", by="level", replicates=2, workers=1, out=tmp_path / "tiny",
                   overrides={"organisation.n_employees": 60, "customers.n_customers": 800,
                              "run.burn_in_days": 10, "run.days": 20})
    # a run missing: the map is incomplete
    shutil.copytree(tmp_path / "map", tmp_path / "partial")
    next((tmp_path / "partial" / "runs").glob("*.parquet")).unlink()
    for directory, needle in (("tiny", "with other runs than the report's scenarios"),
                              ("partial", "15 of 16 runs are done"),
                              ("nothing", "no sweep.json there")):
        out.unlink(missing_ok=True)
        status, _, err = run_cli(argv + ["--responsibility-from", str(tmp_path / directory)])
        assert status == 2 and needle in err, err
        assert err.count("\n") == 1 and not out.exists()


def test_cli_responsibility_needs_two_replicates(tmp_path):
    status, printed, err = run_cli(["report", "baseline", "training", "--replicates", "1",
                                    *SMALL_ARGS, "--responsibility", "level", "--out",
                                    str(tmp_path / "r.html")])
    assert status == 2 and printed == ""
    assert "--replicates = 1 is not allowed with --responsibility" in err


@given(value=st.text(max_size=30).filter(
    lambda v: sorted(p.strip() for p in v.split(",")) not in (
        ["department"], ["level"], ["department", "level"])))
def test_fuzz_responsibility_grouping_one_line_exit_2(value, stored, tmp_path_factory):
    out = tmp_path_factory.mktemp("fuzz") / "r.html"
    status, printed, err = run_cli(["report", *scenario_paths(), "--from", str(stored),
                                    "--out", str(out), "--responsibility=" + value])
    assert status == 2 and printed == ""
    assert err.startswith("cxsim: error: --responsibility = ") and err.count("\n") == 1
    assert not out.exists()
