from datetime import datetime, timezone

from engagement.ladder import LadderCriteria, is_zapped, next_step, stage_change, stage_of

AT = datetime(2026, 11, 24, tzinfo=timezone.utc)


def test_a_known_prospect_stands_on_need() -> None:
    assert stage_of({}) == "need"


def test_each_stage_builds_on_the_one_below() -> None:
    assert stage_of({"purchases": 1}) == "choice"
    assert stage_of({"purchases": 1, "conversations": 2}) == "relation"
    assert stage_of({"purchases": 1, "conversations": 1, "nudge_answers": 1}) == "attention"
    adherent = {"purchases": 2, "conversations": 1, "nudge_answers": 1}
    assert stage_of(adherent) == "adherence"
    assert stage_of({**adherent, "contributions": 1}) == "contribution"
    flowing = {**adherent, "contributions": 3, "contribution_kinds": 2, "channels": 2}
    assert stage_of(flowing) == "flow"


def test_a_contribution_without_a_purchase_does_not_skip_stages() -> None:
    assert stage_of({"contributions": 4, "contribution_kinds": 2}) == "need"


def test_criteria_are_configurable() -> None:
    assert stage_of({"purchases": 1}, LadderCriteria(purchases_for_choice=2)) == "need"


def test_opting_out_or_ignoring_nudges_zaps_the_brand() -> None:
    assert is_zapped({"opted_out": True})
    assert is_zapped({"ignored_nudges_in_row": 5})
    assert not is_zapped({"ignored_nudges_in_row": 4})


def test_a_stage_change_is_an_event_only_when_the_stage_moves() -> None:
    assert stage_change("c", "choice", "choice", AT) is None
    changed = stage_change("c", None, "choice", AT)
    assert changed is not None and (changed.from_stage, changed.to_stage) == ("need", "choice")


def test_the_next_step_of_a_buyer_talking_to_us_is_not_to_talk() -> None:
    """A customer who bought and talks to the assistant now (their conversation counted)
    was told "talk with me after your purchase": the next step is one not taken yet."""
    assert next_step({}) == "first_purchase"
    assert next_step({"purchases": 1}) == "talk"  # bought, never talked
    talking = {"purchases": 1, "conversations": 1}
    assert next_step(talking) == "join_club"  # answering a message is no step of theirs
    assert next_step({**talking, "club_member": True}) == "contribute"
    assert next_step({**talking, "opted_in": True, "pending_contributions": 1}) == (
        "contribution_pending"
    )
    contributed = {**talking, "purchases": 2, "contributions": 1, "contribution_kinds": 1}
    assert next_step(contributed) == "contribute_another_way"
    assert next_step({**contributed, "contribution_kinds": 2}) == "stay_connected"


def test_answering_a_message_is_named_only_when_nothing_else_is_left() -> None:
    everything_else = {"purchases": 2, "conversations": 1, "contributions": 2,
                       "contribution_kinds": 2, "channels": 2}  # fmt: skip
    assert stage_of(everything_else) == "relation"
    assert next_step(everything_else) == "answer_message"
    assert next_step({**everything_else, "nudge_answers": 1}) is None  # the top


def test_the_next_step_follows_configured_criteria() -> None:
    criteria = LadderCriteria(conversations_for_relation=3)
    assert next_step({"purchases": 1, "conversations": 1}, criteria) == "talk"
