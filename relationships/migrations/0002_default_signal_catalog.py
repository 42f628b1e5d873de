"""The default trust-signal catalog, drawn from the evidence the essays agree on (docs/model.md, Position).

Slugs are a public interface (imports and scoring profiles use them): never rename one here.
"""

from django.db import migrations

# slug, name, category, polarity, one-line hint
CATALOG = [
    (
        "delivered_as_promised",
        "Delivered as promised",
        "delivery",
        1,
        "On time, on budget, to standard: the evidence that wins re-tenders.",
    ),
    (
        "delivery_miss",
        "Delivery miss",
        "delivery",
        -1,
        "A missed date, budget or standard; costs most while we are still a vendor.",
    ),
    (
        "shared_business_details",
        "Shared business details",
        "openness",
        1,
        "The client opened up about how its business really runs.",
    ),
    (
        "early_notice_of_plans",
        "Early notice of plans",
        "openness",
        1,
        "Told us what is coming so we can be ready.",
    ),
    (
        "invited_to_planning",
        "Invited to planning",
        "inclusion",
        1,
        "Brought into its future planning in our field.",
    ),
    (
        "inner_circle_access",
        "Inner-circle access",
        "inclusion",
        1,
        "Let into conversations usually kept to its own leadership.",
    ),
    (
        "treated_as_team_member",
        "Treated as a team member",
        "inclusion",
        1,
        "Treated as an equal, part of the client's own team or board.",
    ),
    (
        "excluded_from_planning",
        "Excluded from planning",
        "inclusion",
        -1,
        "Left out of planning we would once have been part of.",
    ),
    (
        "strategy_advice_requested",
        "Strategy advice requested",
        "advisory",
        1,
        "Asked to help shape strategy or plans, even outside our field.",
    ),
    (
        "consulted_on_major_decision",
        "Consulted on a major decision",
        "reliance",
        1,
        "Asked for input before a major tactical or strategic decision.",
    ),
    (
        "repeat_business",
        "Repeat business",
        "commercial",
        1,
        "Came back for more work without being chased.",
    ),
    (
        "price_pressure",
        "Price pressure",
        "commercial",
        -1,
        "Pushed on price as if we were interchangeable.",
    ),
    (
        "retender_or_competitive_bid",
        "Re-tender or competitive bid",
        "commercial",
        -1,
        "Sent the work out to tender or asked for competing bids.",
    ),
    (
        "competitor_invited",
        "Competitor invited",
        "commercial",
        -1,
        "Brought a competitor in alongside or instead of us.",
    ),
    (
        "brought_external_insight",
        "Brought external insight",
        "proactive_value",
        1,
        "We brought fresh insight about pressures in the client's market.",
    ),
    (
        "solved_underlying_problem",
        "Solved the underlying problem",
        "proactive_value",
        1,
        "We solved the real problem, not just the question asked.",
    ),
    (
        "issue_resolved_jointly",
        "Issue resolved jointly",
        "governance",
        1,
        "A problem was worked out together through the agreed review process.",
    ),
    ("escalation", "Escalation", "governance", -1, "A complaint went over someone's head."),
    (
        "champion_left",
        "Champion left",
        "people",
        -1,
        "The person who argued our case inside the client has gone.",
    ),
]


def load_catalog(apps, schema_editor):
    SignalType = apps.get_model("relationships", "SignalType")
    for slug, name, category, polarity, description in CATALOG:
        SignalType.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "category": category,
                "polarity": polarity,
                "description": description,
                "is_active": True,
            },
        )


def unload_catalog(apps, schema_editor):
    SignalType = apps.get_model("relationships", "SignalType")
    SignalType.objects.filter(slug__in=[row[0] for row in CATALOG]).delete()


class Migration(migrations.Migration):
    dependencies = [("relationships", "0001_initial")]

    operations = [migrations.RunPython(load_catalog, unload_catalog)]
