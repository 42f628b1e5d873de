"""The tuning form: one input per profile parameter, validated as the engine validates."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms

from scoring.engine import DEFAULTS, MEANINGS, flatten, unflatten, validate
from scoring.engine.explain import risk_driver_label


def field_name(path: str) -> str:
    return path.replace(".", "__")


@dataclass
class ParameterRow:
    """One input with what the page shows beside it."""

    field: forms.BoundField
    label: str
    default: Any
    active: Any


@dataclass
class ParameterGroup:
    key: str
    label: str
    meaning: str
    rows: list[ParameterRow]


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(value) or "none"
    if value is None:
        return "—"
    return f"{_number(value):g}" if isinstance(value, int | float) else str(value)


REVISION_LOST = (
    "This page does not say which version of the draft it shows; reload the draft and make "
    "your change again."
)


# Parameters keyed by signal slug: every catalog type gets a row, left blank for none of its
# own (a weight falls back to the default weight; a blank warning means the type does not
# warn on its own).
_PER_SIGNAL = ("signal_weights.", "warning_signals.")
# Parameters holding lists of signal slugs, typed as slugs separated by commas.
_SLUG_LISTS = ("gates.", "warning_resolved_by.")


class ProfileForm(forms.Form):
    """Every parameter of a profile. Lists of signals (gates, what ends a warning) take signal
    slugs separated by commas."""

    # Which save of the draft the page was opened on; only a tampered or truncated page lacks it.
    revision = forms.IntegerField(
        widget=forms.HiddenInput,
        error_messages={
            "required": REVISION_LOST,
            "invalid": REVISION_LOST,
        },
    )

    def __init__(
        self,
        *args,
        params: Mapping[str, Any],
        active: Mapping[str, Any],
        signal_slugs: Iterable[str],
        negative_slugs: Iterable[str] = (),
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.signal_slugs = set(signal_slugs)
        weights = dict.fromkeys(sorted(self.signal_slugs))
        weights.update(params.get("signal_weights", {}))
        warnings = dict.fromkeys(sorted(negative_slugs))
        warnings.update(params.get("warning_signals", {}))
        self.paths = list(
            flatten({**params, "signal_weights": weights, "warning_signals": warnings})
        )
        self.flat_params = flatten(params)
        self.flat_defaults = flatten(DEFAULTS)
        self.flat_active = flatten(active)
        for path in self.paths:
            value = self.flat_params.get(path)
            field: forms.Field
            if path.startswith(_SLUG_LISTS):
                field = forms.CharField(required=False, initial=", ".join(value or []))
            else:
                field = forms.FloatField(
                    required=not path.startswith(_PER_SIGNAL),
                    initial=None if value is None else _number(value),
                    widget=forms.NumberInput(attrs={"step": "any"}),
                )
            field.label = path.partition(".")[2].replace("_", " ") or path.replace("_", " ")
            if path.startswith("risk_weights."):  # the driver as pages name it
                key = path.partition(".")[2]
                field.label = f"{risk_driver_label(key)} ({field.label})"
            self.fields[field_name(path)] = field

    def groups(self) -> list[ParameterGroup]:
        groups: dict[str, ParameterGroup] = {}
        for path in self.paths:
            key = path.partition(".")[0]
            group = groups.setdefault(
                key, ParameterGroup(key, key.replace("_", " ").capitalize(), MEANINGS[key], [])
            )
            bound = self[field_name(path)]
            group.rows.append(
                ParameterRow(
                    bound,
                    str(bound.label),
                    _shown(self.flat_defaults.get(path)),
                    _shown(self.flat_active.get(path)),
                )
            )
        return list(groups.values())

    def problems(self) -> list[str]:
        """Every error in the parameters, each with the label of its field, for a summary away
        from the form (the preview, which does not care which revision the page holds)."""
        problems = [str(error) for error in self.non_field_errors()]
        for name, errors in self.errors.items():
            if name in self.fields and name != "revision":
                label = name.replace("__", " · ").replace("_", " ")
                problems += [f"{label}: {error}" for error in errors]
        return problems

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if any(name != "revision" for name in self.errors):
            return cleaned
        flat: dict[str, Any] = {}
        for path in self.paths:
            value = cleaned.get(field_name(path))
            if path.startswith(_SLUG_LISTS):
                slugs = [slug.strip() for slug in (value or "").replace(";", ",").split(",")]
                slugs = [slug for slug in slugs if slug]
                unknown = [slug for slug in slugs if slug not in self.signal_slugs]
                if unknown:
                    self.add_error(
                        field_name(path), f"Not in the signal catalog: {', '.join(unknown)}."
                    )
                flat[path] = slugs
            elif value is not None:
                flat[path] = _number(value)
        self.params = unflatten(flat)
        for path, message in validate(self.params).items():
            name = field_name(path)
            if name in self.fields:
                self.add_error(name, message)
            else:
                self.add_error(None, f"{path}: {message}")
        return cleaned
