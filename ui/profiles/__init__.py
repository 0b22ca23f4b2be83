"""Profiles: who is on the treadmill, their limits, and the admin PIN that guards raising them.

Shape::

    ProfilesModel(bridge)                    model.py: the history store and the profile rules,
     │                                       as signals, over the core's People
     ├── select(name | None)                 → the core's choose(name): limits, progression
     ├── apply_limits(…) / change_pin(…)     in a worker thread (scrypt); answers as signals
     └── create / rename / delete / sync / save_guest / discard_guest / sessions
    ProfilesView(model, bridge)              view.py: the page
     ├── chooser, last session box           people as big buttons, then Guest
     ├── LimitsTable                         limits_table.py: limits and progression cap,
     │                                       editable: Apply
     └── admin row                           "Change admin PIN…"
    PinDialog, ChangePinDialog, pin_field    pin_dialogs.py: asks for the admin PIN before a
                                             raise; sets or changes it
    LIMIT_GROUPS, describe_*, pin_refusal,   wording.py: how limits, changes and PIN refusals
    readable, …                              read (no widgets)

The rules are the engine's (``treadctl.profiles``): lowering never needs the PIN, raising above
the defaults does, a wrong PIN changes nothing, three wrong PINs in a row start a wait. This page
only asks and shows the answer; it tells the PIN errors apart by their types, not their words.
"""

from __future__ import annotations

from ui.profiles.limits_table import LimitsTable
from ui.profiles.model import ERRORS, ProfilesModel
from ui.profiles.pin_dialogs import ChangePinDialog, PinDialog, pin_field
from ui.profiles.view import ProfilesView
from ui.profiles.wording import (
    CAP_FIELD,
    DEFAULT_CAP,
    HEART_RATE_FIELD,
    LIMIT_GROUPS,
    ROWS,
    LimitRow,
    LimitsChange,
    above_default,
    describe_changes,
    describe_profile_changes,
    describe_raises,
    describe_request,
    limit_name,
    limit_value,
    pin_change_refusal,
    pin_refusal,
    pin_wait_note,
    readable,
    wrong_pin_for_raise,
)

__all__ = [
    "CAP_FIELD",
    "DEFAULT_CAP",
    "ERRORS",
    "HEART_RATE_FIELD",
    "LIMIT_GROUPS",
    "ROWS",
    "ChangePinDialog",
    "LimitRow",
    "LimitsChange",
    "LimitsTable",
    "PinDialog",
    "ProfilesModel",
    "ProfilesView",
    "above_default",
    "describe_changes",
    "describe_profile_changes",
    "describe_raises",
    "describe_request",
    "limit_name",
    "limit_value",
    "pin_change_refusal",
    "pin_field",
    "pin_refusal",
    "pin_wait_note",
    "readable",
    "wrong_pin_for_raise",
]
