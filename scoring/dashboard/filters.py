"""The dashboard's filters: a form, so a bad value in the URL is explained next to its field."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

from accounts import roles
from accounts.forms import LongSelect, TeamSearch, manager_ids, told_apart
from accounts.models import PartnershipPotential
from accounts.selectors import by_name
from scoring.engine import Stage
from scoring.models import StandingTally, StandingTallyChange

RISK_BANDS = [("low", "Low"), ("medium", "Medium"), ("high", "High")]
RISK_BAND_NAMES = [band for band, _ in RISK_BANDS]
PERIODS = [("30", "30 days"), ("90", "90 days")]


@dataclass(frozen=True)
class DashboardFilters:
    manager_id: int | None = None
    industry: str = ""
    stage: str = ""
    potential: str = ""
    risk_band: str = ""
    revenue_min: Decimal | None = None
    revenue_max: Decimal | None = None
    period: int = 30
    trails: bool = False

    def account_q(self, prefix: str = "") -> Q:
        """The account-level filters, for a query on accounts (or, with a prefix such as
        "account__", on rows that belong to an account)."""
        q = Q(**{f"{prefix}status": "active"})
        if self.manager_id:
            q &= Q(**{f"{prefix}owner_id": self.manager_id})
        if self.industry:
            q &= Q(**{f"{prefix}industry": self.industry})
        if self.potential:
            q &= Q(**{f"{prefix}partnership_potential": self.potential})
        if self.revenue_min is not None:
            q &= Q(**{f"{prefix}annual_revenue__gte": self.revenue_min})
        if self.revenue_max is not None:
            q &= Q(**{f"{prefix}annual_revenue__lte": self.revenue_max})
        return q

    def line_q(self) -> Q:
        """The account-level filters on the dashboard's lines (scoring.models.StandingLine),
        which hold active accounts only."""
        q = Q()
        if self.manager_id:
            q &= Q(owner_id=self.manager_id)
        if self.industry:
            q &= Q(industry=self.industry)
        if self.potential:
            q &= Q(potential=self.potential)
        if self.revenue_min is not None:
            q &= Q(revenue__gte=self.revenue_min)
        if self.revenue_max is not None:
            q &= Q(revenue__lte=self.revenue_max)
        return q

    def tally_filter(self) -> dict[str, str]:
        """The filters the dashboard's tallies (scoring.models.StandingTally, MapTally) are
        grouped by, as lookups on them: all but the manager and the revenue range."""
        named = {
            "industry": self.industry,
            "potential": self.potential,
            "stage": self.stage,
            "risk_band": self.risk_band,
        }
        return {field: value for field, value in named.items() if value}

    @property
    def needs_standing(self) -> bool:
        """Whether the filters ask about the standing, which leaves unscored accounts out."""
        return bool(self.stage or self.risk_band)

    def snapshot_q(self, risk_bands: dict[str, float], prefix: str = "") -> Q:
        """The standing-level filters (stage, risk band) on latest snapshots (or, with a
        prefix such as "standing__", on a relation to them)."""
        risk = f"{prefix}decline_risk"
        q = Q()
        if self.stage:
            q &= Q(**{f"{prefix}stage": self.stage})
        if self.risk_band == "low":
            q &= Q(**{f"{risk}__lt": risk_bands["medium"]})
        elif self.risk_band == "medium":
            q &= Q(**{f"{risk}__gte": risk_bands["medium"], f"{risk}__lt": risk_bands["high"]})
        elif self.risk_band == "high":
            q &= Q(**{f"{risk}__gte": risk_bands["high"]})
        return q


class DashboardFilterForm(forms.Form):
    # Past OFFER_ALL_UP_TO managers (the team form's limit too), the manager filter offers
    # the one chosen and those this search finds, not every manager: thousands of options
    # are neither readable nor quick to send, and the page would grow with the team.
    manager_find = forms.CharField(label="Find a manager", required=False, max_length=100)
    # Plain choices read as rows, not a model choice field: hundreds of managers as model
    # instances on every page view cost more than the rest of the filter form.
    manager = forms.TypedChoiceField(
        coerce=int, empty_value=None, required=False, widget=LongSelect
    )
    industry = forms.ChoiceField(required=False, widget=LongSelect)
    stage = forms.ChoiceField(choices=[("", "All stages"), *Stage.choices()], required=False)
    potential = forms.ChoiceField(
        label="Partnership potential",
        choices=[("", "Any potential"), *PartnershipPotential.choices],
        required=False,
    )
    risk_band = forms.ChoiceField(
        label="Decline risk", choices=[("", "Any risk"), *RISK_BANDS], required=False
    )
    revenue_min = forms.DecimalField(
        label="Revenue from", min_value=0, max_digits=14, decimal_places=2, required=False
    )
    revenue_max = forms.DecimalField(
        label="to", min_value=0, max_digits=14, decimal_places=2, required=False
    )
    period = forms.TypedChoiceField(
        label="Movers over",
        choices=PERIODS,
        coerce=int,
        required=False,
        # Django takes any value for an empty choice; its stubs allow a string or None only.
        empty_value=30,  # type: ignore[arg-type]
    )
    trails = forms.BooleanField(label="Trails from 90 days ago", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._offer_managers()
        # The industries of the accounts in the dashboard (active and scored), read from
        # its tallies and their changes: a few hundred rows, where the accounts are tens of
        # thousands.
        named = [
            model.objects.exclude(industry="").order_by().values_list("industry")
            for model in (StandingTally, StandingTallyChange)
        ]
        industries = sorted({industry for (industry,) in named[0].union(named[1])})
        industry = self.fields["industry"]
        assert isinstance(industry, forms.ChoiceField)
        industry.choices = [("", "All industries")] + [(i, i) for i in industries]

    def _offer_managers(self) -> None:
        """Every manager (their accounts may stay with them after they leave) while there
        are no more than OFFER_ALL_UP_TO; past that, the one chosen and up to FOUND_AT_MOST
        that the search finds, with their user names (namesakes are common in a large
        team)."""
        managers = by_name(get_user_model().objects.filter(groups__name=roles.ACCOUNT_MANAGER))
        manager = self.fields["manager"]
        assert isinstance(manager, forms.TypedChoiceField)
        search = TeamSearch(self.data.get("manager_find", ""), among=managers)
        if not search.searching:
            del self.fields["manager_find"]
            rows = managers.values_list("pk", "first_name", "last_name", "username")
            manager.choices = [("", "All managers")] + [
                (pk, f"{first} {last}".strip() or username) for pk, first, last, username in rows
            ]
            return
        chosen = list(managers.filter(pk__in=manager_ids([self.data.get("manager", "")])))
        offered = chosen + [found for found in search.found if found not in chosen]
        manager.choices = [("", "All managers")] + [(m.pk, told_apart(m)) for m in offered]
        finder = self.fields["manager_find"]
        if search.more:
            finder.help_text = (
                f"The first {search.limit} found are offered below; type more of the name."
            )
        elif search.find and not search.found:
            finder.help_text = "Nobody on the team matches that."
        else:
            finder.help_text = "Type part of a name, then choose the manager below."

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        low, high = cleaned.get("revenue_min"), cleaned.get("revenue_max")
        if low is not None and high is not None and low > high:
            self.add_error("revenue_max", "The upper bound is below the lower one.")
        return cleaned

    def filters(self) -> DashboardFilters:
        """The valid filters; a field with an error filters nothing."""
        data = getattr(self, "cleaned_data", {})
        return DashboardFilters(
            manager_id=data.get("manager"),
            industry=data.get("industry") or "",
            stage=data.get("stage") or "",
            potential=data.get("potential") or "",
            risk_band=data.get("risk_band") or "",
            revenue_min=data.get("revenue_min"),
            revenue_max=data.get("revenue_max"),
            period=data.get("period") or 30,
            trails=bool(data.get("trails")),
        )
