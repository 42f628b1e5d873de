from scoring.engine import Stage


def test_stages_climb_from_vendor_to_virtual_partner():
    assert sorted(Stage, reverse=True) == [
        Stage.VIRTUAL_PARTNER,
        Stage.CONSULTANT,
        Stage.CONFIDANT,
        Stage.VENDOR,
    ]
    assert Stage.VENDOR < Stage.CONFIDANT < Stage.CONSULTANT < Stage.VIRTUAL_PARTNER
    assert [stage.rank for stage in Stage] == [1, 2, 3, 4]


def test_each_stage_has_its_name_on_the_supplier_ladder():
    assert [(s.label, s.ladder_label) for s in Stage] == [
        ("Vendor", "Supplier"),
        ("Confidant", "Supplier of choice"),
        ("Consultant", "Partner"),
        ("Virtual partner", "Partner"),
    ]


def test_each_stage_knows_the_next_one_up():
    assert Stage.VENDOR.next is Stage.CONFIDANT
    assert Stage.CONSULTANT.next is Stage.VIRTUAL_PARTNER
    assert Stage.VIRTUAL_PARTNER.next is None


def test_choices_use_the_public_values():
    assert Stage.choices() == [
        ("vendor", "Vendor"),
        ("confidant", "Confidant"),
        ("consultant", "Consultant"),
        ("virtual_partner", "Virtual partner"),
    ]
