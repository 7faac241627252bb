from datetime import datetime, timedelta, timezone

from engagement.fusion import NEUTRAL, FusionEntry, brand_score, fusion_score

NOW = datetime(2026, 11, 24, tzinfo=timezone.utc)


def entry(delta: int, days_ago: float, kind: str = "review") -> FusionEntry:
    return FusionEntry(f"e-{delta}-{days_ago}", kind, delta, NOW - timedelta(days=days_ago))


def test_a_new_customer_is_neutral() -> None:
    assert fusion_score([], NOW).value == NEUTRAL


def test_events_move_the_score_and_fade_toward_neutral() -> None:
    fresh = fusion_score([entry(-8, 0, "problem_report")], NOW).value
    old = fusion_score([entry(-8, 180, "problem_report")], NOW).value
    assert fresh == NEUTRAL - 8
    assert fresh < old < NEUTRAL


def test_the_score_stays_within_0_and_100() -> None:
    assert fusion_score([entry(20, 0)] * 10, NOW).value == 100
    assert fusion_score([entry(-20, 0)] * 10, NOW).value == 0


def test_the_explanation_lists_what_weighs_most_first() -> None:
    score = fusion_score([entry(2, 0), entry(-8, 1, "problem_report"), entry(5, 300)], NOW)
    assert [c.event_type for c in score.explanation][0] == "problem_report"
    assert len(score.explanation) == 3


def test_the_brand_score_is_the_mean_of_customers() -> None:
    assert brand_score([40, 60, 80]) == 60
    assert brand_score([]) is None
