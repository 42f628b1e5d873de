"""Where a lower layer names what a higher one also names, the two are held to agree here."""

from relationships.models import StageChoice
from scoring.engine import Stage


def test_the_evidence_and_the_engine_name_the_same_stages_in_the_same_order():
    engine_stages = [(stage.value, stage.label) for stage in sorted(Stage)]
    assert StageChoice.choices == engine_stages
