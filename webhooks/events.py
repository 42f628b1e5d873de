"""The events other tools can subscribe to, by the type name their payload carries.

Type names follow the Standard Webhooks convention (`noun.past_tense`, dot-separated), and a
name never changes once published: a receiver dispatches on it.
"""

from __future__ import annotations

STAGE_CHANGED = "account.stage_changed"
RISK_BAND_CHANGED = "account.risk_band_changed"
INTERACTION_CREATED = "interaction.created"
ACCOUNT_LOST = "account.lost"

# What an admin reads beside each checkbox, in the order the form shows them.
EVENT_TYPES: dict[str, str] = {
    STAGE_CHANGED: "An account's stage moved up or down the S-curve (a rescore, an import, a "
    "recompute or a new scoring version).",
    RISK_BAND_CHANGED: "An account's decline risk crossed into another band (low, medium, high).",
    INTERACTION_CREATED: "An interaction was logged (on its page, by import, through the API or "
    "confirmed from a calendar or mailbox).",
    ACCOUNT_LOST: "An account was marked lost (on its page or by import).",
}

# Sent only by the "Send test event" button, to the one endpoint, whatever it subscribes to.
TEST_EVENT = "webhook.test"
