"""Where a lower layer names what a higher one also names, the two are held to agree here."""

from relationships.models import InteractionKind, SignalCategory, StageChoice
from scoring.engine import Stage
from scoring.engine.profile import CATEGORIES, INTERACTION_KINDS


def test_the_evidence_and_the_engine_name_the_same_stages_in_the_same_order():
    engine_stages = [(stage.value, stage.label) for stage in sorted(Stage)]
    assert StageChoice.choices == engine_stages


def test_the_engine_weighs_every_kind_of_interaction_the_log_form_offers():
    assert set(INTERACTION_KINDS) == set(InteractionKind.values)


def test_the_engine_fades_every_category_of_signal_the_catalog_offers():
    assert set(CATEGORIES) == set(SignalCategory.values)
