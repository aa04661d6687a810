"""Readiness aggregation rules, checked by hand on a small checklist and by invariants on the shipped one."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rackforge.readiness.scoring import (
    MET,
    NA,
    NOT_MET,
    UNANSWERED,
    criterion_status,
    part_level,
    score_assessment,
    thread_level,
)
from rackforge.schema.readiness import Answer, Criteria, ReadinessAssessment, ReadinessCriterion, Thread, load_criteria


def crit(thread: str, level: int, letter: str = "a") -> ReadinessCriterion:
    return ReadinessCriterion(id=f"{thread}.{level}.{letter}", level=level, text="some state holds",
                              action="make it hold")


def test_thread_level_by_hand():
    criteria = (crit("x", 1), crit("x", 2), crit("x", 2, "b"), crit("x", 3), crit("x", 5))
    # all of 1 and 2 met, 3 not: level 2
    assert thread_level(criteria, {"x.1.a": MET, "x.2.a": MET, "x.2.b": MET, "x.3.a": NOT_MET, "x.5.a": MET}) == 2
    # one of the two level-2 criteria unanswered: level 1 (unanswered counts as not met)
    assert thread_level(criteria, {"x.1.a": MET, "x.2.a": MET, "x.2.b": UNANSWERED, "x.3.a": MET,
                                   "x.5.a": MET}) == 1
    # N/A counts as met; level 4 has no criteria and passes through, so 5 met -> 10 (nothing above)
    assert thread_level(criteria, {"x.1.a": MET, "x.2.a": NA, "x.2.b": MET, "x.3.a": MET, "x.5.a": MET}) == 10
    # a higher level met does not count when a lower one is not (cumulative)
    assert thread_level(criteria, {"x.1.a": NOT_MET, "x.2.a": MET, "x.2.b": MET, "x.3.a": MET, "x.5.a": MET}) == 0
    # all N/A: the thread has no level
    assert thread_level(criteria, dict.fromkeys(("x.1.a", "x.2.a", "x.2.b", "x.3.a", "x.5.a"), NA)) is None


def test_part_stands_at_its_weakest_thread():
    assert part_level({"design": 7, "materials": 4, "process": 6}) == 4
    assert part_level({"design": 7, "facilities": None}) == 7  # a wholly N/A thread is left out
    assert part_level({"design": None}) is None


def test_thread_answers_and_overrides_on_the_shipped_checklist():
    criteria = load_criteria()
    assessment = ReadinessAssessment(part="p", site="s", answers=(
        Answer(thread="design", through_level=7, evidence="design review DR-7"),
        Answer(criterion="design.5.a", met=False, note="key characteristics not flowed yet"),
        Answer(thread="process", through_level=4, evidence="lab timing study"),
        Answer(criterion="process.5.a", met="na", evidence="no new process at this level"),
    ))
    status = criterion_status(assessment, criteria)
    assert status["design.4.a"] == (MET, "design review DR-7")
    assert status["design.5.a"][0] == NOT_MET  # explicit answer overrides the thread answer
    assert status["design.8.a"][0] == UNANSWERED
    result = score_assessment(assessment, criteria, target_mrl=8)
    assert result.levels["design"] == 4
    assert result.levels["process"] == 5  # 1-4 met, 5 N/A, 6 unanswered
    assert result.levels["cost"] == 0
    assert result.mrl == 0 and "cost" in result.weakest
    # gaps: every criterion above the thread's level up to the target that is not met
    design_gaps = sorted(g.criterion for g in result.gaps if g.thread == "design")
    assert design_gaps == ["design.5.a", "design.8.a"]  # 6 and 7 are met by the thread answer
    assert all(g.action for g in result.gaps)
    assert len([g for g in result.gaps if g.thread == "cost"]) == 8


def test_trl_pairing_note():
    criteria = load_criteria()
    answers = tuple(Answer(thread=t.id, through_level=8, evidence="pilot line report") for t in criteria.threads)
    result = score_assessment(ReadinessAssessment(part="p", site="s", trl=6, answers=answers), criteria, 8)
    assert result.mrl == 8
    assert result.notes == ("MRL 8 expects TRL 7 or more; the part is at TRL 6",)
    assert score_assessment(ReadinessAssessment(part="p", site="s", trl=7, answers=answers), criteria, 8).notes == ()


def small_checklist() -> Criteria:
    threads = tuple(Thread(id=t, name=t, deskbook=d, criteria=tuple(crit(t, lvl) for lvl in range(1, 11)))
                    for t, d in (("alpha", "A"), ("beta", "B")))
    return Criteria(source="estimate: a two-thread test checklist", levels={i: f"level {i}" for i in range(1, 11)},
                    threads=threads)


statuses = st.sampled_from([MET, NA, NOT_MET, UNANSWERED])


@settings(max_examples=50, deadline=None)
@given(st.lists(statuses, min_size=10, max_size=10), st.integers(0, 9))
def test_levels_are_cumulative_and_monotone(status_list: list[str], flip: int):
    criteria = tuple(crit("x", lvl) for lvl in range(1, 11))
    status = {c.id: s for c, s in zip(criteria, status_list, strict=True)}
    level = thread_level(criteria, status)
    if level is None:
        assert all(s == NA for s in status_list)
        return
    # the level is exactly the length of the leading run of met-or-N/A criteria
    run = 0
    for s in status_list:
        if s not in (MET, NA):
            break
        run += 1
    assert level == run
    # meeting one more criterion never lowers the level
    status[criteria[flip].id] = MET
    assert (thread_level(criteria, status) or 10) >= level


def test_small_checklist_gap_list_by_hand():
    criteria = small_checklist()
    assessment = ReadinessAssessment.model_construct(part="p", site="s", target_mrl=6, trl=None, answers=(
        # built without validation: Answer checks ids against the shipped checklist, this one is custom
        Answer.model_construct(criterion=None, thread="alpha", through_level=6, met=True, evidence="evidence a"),
        Answer.model_construct(criterion=None, thread="beta", through_level=3, met=True, evidence="evidence b"),
        Answer.model_construct(criterion="beta.5.a", thread=None, through_level=None, met=True, evidence="c"),
    ))
    result = score_assessment(assessment, criteria, target_mrl=8)
    assert result.levels == {"alpha": 6, "beta": 3}
    assert result.mrl == 3 and result.weakest == ("beta",) and result.target_mrl == 6
    assert [g.criterion for g in result.gaps] == ["beta.4.a", "beta.6.a"]
