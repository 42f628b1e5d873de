"""A scoring admin changes a weight, applies the draft and watches it go live."""

from django.contrib.auth.models import Group

from accounts import roles
from scoring.selectors import profile_active
from tests.browser.conftest import login
from tests.conftest import ensure_migrated_rows, work_the_queue
from tests.factories import UserFactory


def test_an_admin_changes_a_weight_applies_it_and_sees_the_rollout_finish(page, alices_account):
    ensure_migrated_rows()
    sam = UserFactory(username="sam", first_name="Sam", last_name="Admin")
    sam.groups.add(Group.objects.get(name=roles.SCORING_ADMIN))

    login(page, "sam")
    page.click("nav >> text=Tuning")
    page.click("text=Start a draft from v1")
    page.wait_for_url("**/tuning/versions/2/")
    page.fill("#id_signal_weights__invited_to_planning", "12")
    page.click("text=Save draft")
    page.wait_for_selector("text=Draft v2 saved.")
    assert "default 8 · active 8" in page.inner_text("#group-signal_weights")

    page.click("text=Apply v2")
    page.wait_for_selector("text=Rolling out v2")
    assert profile_active().version == 1

    work_the_queue()  # the background worker picks the rollout up

    page.wait_for_selector("text=v2 is live")
    assert page.locator("[data-testid=rollout-progress] progress").get_attribute("value") == "100"
    page.wait_for_selector("text=Roll back to v1")
    assert profile_active().version == 2
    assert page.console_errors == []
