"""The device knowledge base: which treadmills deviate from FTMS, how, and who says so.

Shape::

    KnowledgeBase.builtin()            resources/devices.toml, read once
    KnowledgeBase.load(path) / .parse(text, source)      KnowledgeError: file, entry, key
     ├── entries: (DeviceEntry, ...)   in file order
     ├── get(id) -> DeviceEntry        KeyError naming the known ids
     └── match(identity) -> DeviceEntry | None            the most specific entry, or none
    DeviceIdentity(name, manufacturer, model, firmware)   what a treadmill says of itself
    DeviceEntry(id, device, description, match, deviations, certainty, sources, virtual_*)
    MatchRules(name_prefixes, manufacturer, model, firmware)   all given rules must hold
    CERTAINTIES = ("captured", "code", "report", "inferred")   how sure we are, most first

The file (``docs/devices.md`` shows an entry and how to add one)::

    [[device]]
    id = "kingsmith"                   # lower-case letters, digits, '-'; also the name of
                                       # its virtual treadmill (``--quirks kingsmith``)
    device = "KingSmith WalkingPad FTMS models"
    certainty = "code"                 # one of CERTAINTIES
    sources = ["mcdax/walkingpad-controller README: ...", ...]
    description = "what it does, where each deviation was seen"
    match = { name_prefixes = ["KS-"] }          # or a list of such tables: any one may match
    deviations = { needs_start_before_speed = true }   # names from treadctl.devices.deviations
    virtual = { name = "KS-HD-Z1D", deviations = { ... } }   # the emulated unit (optional)

Matching: an entry matches a treadmill when every rule of one of its rule sets holds: the
advertised name starts with one of ``name_prefixes`` (case-insensitive, as the peer projects
compare), and ``manufacturer`` / ``model`` / ``firmware`` match as shell-style patterns
(``fnmatch``, case-insensitive) the Device Information strings. A rule about a string the
treadmill did not give does not hold. The most specific match wins: the most rules, then the
longest literal text matched (a longer prefix, a pattern with fewer wildcards); a tie goes to
the entry first in the file. An entry with no rules at all matches nothing: it documents a
behaviour the link detects at run time and gives it a virtual treadmill. Nothing matched is a
standard treadmill.

Read safely: ``tomllib`` (data only), a size bound, and every key checked against a closed set,
so a typo is an error naming the file, the entry and the key, never a silently ignored line.
"""

from __future__ import annotations

import fnmatch
import functools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Self, cast

from treadctl.devices.deviations import DeviationError, Deviations
from treadctl.errors import TreadctlError

__all__ = [
    "BUILTIN_KNOWLEDGE",
    "CERTAINTIES",
    "STANDARD",
    "Certainty",
    "DeviceEntry",
    "DeviceIdentity",
    "KnowledgeBase",
    "KnowledgeError",
    "MatchRules",
]

#: resources/devices.toml of the repository (treadctl/devices/knowledge.py -> parents[2]).
BUILTIN_KNOWLEDGE = Path(__file__).resolve().parents[2] / "resources" / "devices.toml"

Certainty = Literal["captured", "code", "report", "inferred"]
#: How sure we are, surest first: a capture of the device's own bytes; a peer project's code
#: that handles it; a user's report (an issue, a PR description); our own inference.
CERTAINTIES: tuple[Certainty, ...] = ("captured", "code", "report", "inferred")

#: A knowledge file is a few hundred entries at most; a bigger one is not ours.
MAX_FILE_BYTES = 1 << 20
#: The name of the standard (no deviation) virtual profile; no entry may take it.
STANDARD = "standard"

_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_ENTRY_KEYS = frozenset(
    {"id", "device", "certainty", "sources", "description", "match", "deviations", "virtual"}
)
_MATCH_KEYS = frozenset({"name_prefixes", "manufacturer", "model", "firmware"})
_VIRTUAL_KEYS = frozenset({"name", "deviations"})
_WILDCARDS = re.compile(r"[*?\[\]]")


class KnowledgeError(TreadctlError, ValueError):
    """A knowledge file that cannot be used; one line naming the file, the entry and the key."""


@dataclass(frozen=True, slots=True)
class DeviceIdentity:
    """What a treadmill says of itself: its advertised name and its Device Information."""

    name: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    firmware: str | None = None


@dataclass(frozen=True, slots=True)
class MatchRules:
    """One set of rules; an entry matches when all the rules of one of its sets hold."""

    name_prefixes: tuple[str, ...] = ()
    manufacturer: str | None = None
    model: str | None = None
    firmware: str | None = None

    @property
    def empty(self) -> bool:
        return not self.name_prefixes and not (self.manufacturer or self.model or self.firmware)

    def specificity(self, identity: DeviceIdentity) -> tuple[int, int] | None:
        """(rules that held, literal characters matched) if every rule holds, else None."""
        if self.empty:
            return None
        rules = 0
        literal = 0
        if self.name_prefixes:
            name = (identity.name or "").casefold()
            held = [p for p in self.name_prefixes if name and name.startswith(p.casefold())]
            if not held:
                return None
            rules += 1
            literal += max(len(p) for p in held)
        for pattern, value in (
            (self.manufacturer, identity.manufacturer),
            (self.model, identity.model),
            (self.firmware, identity.firmware),
        ):
            if pattern is None:
                continue
            if value is None or not fnmatch.fnmatchcase(value.casefold(), pattern.casefold()):
                return None
            rules += 1
            literal += len(_WILDCARDS.sub("", pattern))
        return rules, literal


@dataclass(frozen=True, slots=True)
class DeviceEntry:
    """One known device (or family): how it deviates, who says so, how sure we are."""

    id: str
    device: str
    description: str
    certainty: Certainty
    sources: tuple[str, ...]
    match: tuple[MatchRules, ...] = ()
    deviations: Deviations = field(default_factory=Deviations)
    #: The advertised name of its virtual treadmill (None: the default name).
    virtual_name: str | None = None
    #: What its virtual treadmill emulates: ``deviations`` plus the emulated unit's own state
    #: (a console set to miles, say), from the entry's ``virtual.deviations``.
    virtual_deviations: Deviations = field(default_factory=Deviations)

    def specificity(self, identity: DeviceIdentity) -> tuple[int, int] | None:
        """How specifically this entry matches ``identity`` (None: it does not)."""
        found = [s for rules in self.match if (s := rules.specificity(identity)) is not None]
        return max(found) if found else None


class KnowledgeBase:
    """The entries of one knowledge file; see the module docstring for matching."""

    def __init__(self, entries: tuple[DeviceEntry, ...] = (), source: str = "<none>") -> None:
        self.entries = entries
        self.source = source
        self._by_id = {e.id: e for e in entries}

    @staticmethod
    def builtin() -> KnowledgeBase:
        """``resources/devices.toml``, read once per process."""
        return _builtin()

    @classmethod
    def load(cls, path: Path) -> Self:
        """Read and check a knowledge file; :class:`KnowledgeError` naming it otherwise."""
        try:
            with path.open("rb") as stream:
                raw = stream.read(MAX_FILE_BYTES + 1)
        except OSError as error:
            raise KnowledgeError(f"{path}: cannot be read: {error.strerror or error}") from None
        if len(raw) > MAX_FILE_BYTES:
            raise KnowledgeError(f"{path}: larger than {MAX_FILE_BYTES} bytes")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise KnowledgeError(f"{path}: not UTF-8 text ({error.reason})") from None
        return cls.parse(text, str(path))

    @classmethod
    def parse(cls, text: str, source: str = "<text>") -> Self:
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise KnowledgeError(f"{source}: not valid TOML: {error}") from None
        unknown = set(document) - {"device"}
        if unknown:
            raise KnowledgeError(f"{source}: {sorted(unknown)[0]}: unknown key (only [[device]])")
        tables = document.get("device", [])
        if not isinstance(tables, list):
            raise KnowledgeError(f"{source}: device: expected [[device]] entries")
        entries: list[DeviceEntry] = []
        seen_rules: dict[MatchRules, str] = {}
        for index, table in enumerate(tables, 1):
            entry = _entry(table, source, index, {e.id for e in entries})
            for rules in entry.match:
                if rules in seen_rules:
                    raise KnowledgeError(
                        f"{source}: device {entry.id!r}: match: the same rules as "
                        f"{seen_rules[rules]!r} (which one would win?)"
                    )
                seen_rules[rules] = entry.id
            entries.append(entry)
        return cls(tuple(entries), source)

    def get(self, entry_id: str) -> DeviceEntry:
        try:
            return self._by_id[entry_id]
        except KeyError:
            known = ", ".join(sorted(self._by_id))
            raise KeyError(f"no device entry {entry_id!r}; known: {known}") from None

    def match(self, identity: DeviceIdentity) -> DeviceEntry | None:
        """The most specific entry matching ``identity`` (a tie: the first in the file)."""
        best: tuple[tuple[int, int], DeviceEntry] | None = None
        for entry in self.entries:
            score = entry.specificity(identity)
            if score is not None and (best is None or score > best[0]):
                best = (score, entry)
        return best[1] if best is not None else None


@functools.cache
def _builtin() -> KnowledgeBase:
    return KnowledgeBase.load(BUILTIN_KNOWLEDGE)


# --- reading one entry ---------------------------------------------------------------------


def _entry(table: Any, source: str, index: int, taken: set[str]) -> DeviceEntry:
    if not isinstance(table, dict):
        raise KnowledgeError(f"{source}: device #{index}: expected a table")
    raw_id = table.get("id")
    if not isinstance(raw_id, str) or not _ID.fullmatch(raw_id):
        raise KnowledgeError(
            f"{source}: device #{index}: id: expected lower-case letters, digits and '-', "
            f"got {raw_id!r}"
        )
    where = f"{source}: device {raw_id!r}"
    if raw_id == STANDARD or raw_id in taken:
        raise KnowledgeError(f"{where}: id: already taken")
    unknown = sorted(set(table) - _ENTRY_KEYS)
    if unknown:
        raise KnowledgeError(
            f"{where}: {unknown[0]}: unknown key (known: {', '.join(sorted(_ENTRY_KEYS))})"
        )
    certainty = table.get("certainty")
    if certainty not in CERTAINTIES:
        raise KnowledgeError(
            f"{where}: certainty: expected one of {', '.join(CERTAINTIES)}, got {certainty!r}"
        )
    sources = table.get("sources")
    if (
        not isinstance(sources, list)
        or not sources
        or not all(isinstance(s, str) and s.strip() for s in sources)
    ):
        raise KnowledgeError(f"{where}: sources: expected a list of citations, at least one")
    deviations = _deviations(table.get("deviations", {}), f"{where}: deviations")
    virtual = table.get("virtual", {})
    if not isinstance(virtual, dict):
        raise KnowledgeError(f"{where}: virtual: expected a table")
    unknown = sorted(set(virtual) - _VIRTUAL_KEYS)
    if unknown:
        raise KnowledgeError(
            f"{where}: virtual.{unknown[0]}: unknown key (known: name, deviations)"
        )
    virtual_name = virtual.get("name")
    if virtual_name is not None and (not isinstance(virtual_name, str) or not virtual_name):
        raise KnowledgeError(f"{where}: virtual.name: expected an advertised name")
    extra = _deviations(virtual.get("deviations", {}), f"{where}: virtual.deviations")
    return DeviceEntry(
        id=raw_id,
        device=_text(table, "device", where),
        description=_text(table, "description", where),
        certainty=cast(Certainty, certainty),
        sources=tuple(sources),
        match=_match(table.get("match"), where),
        deviations=deviations,
        virtual_name=virtual_name,
        virtual_deviations=deviations.merged(extra),
    )


def _text(table: Mapping[str, Any], key: str, where: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not value.strip():
        raise KnowledgeError(f"{where}: {key}: expected some text")
    return " ".join(value.split())


def _deviations(table: Any, where: str) -> Deviations:
    if not isinstance(table, dict):
        raise KnowledgeError(f"{where}: expected a table of deviations")
    try:
        return Deviations.from_table(table, where)
    except DeviationError as error:
        raise KnowledgeError(str(error)) from None


def _match(raw: Any, where: str) -> tuple[MatchRules, ...]:
    if raw is None:
        return ()
    tables = raw if isinstance(raw, list) else [raw]
    return tuple(_rules(t, f"{where}: match") for t in tables)


def _rules(table: Any, where: str) -> MatchRules:
    if not isinstance(table, dict):
        raise KnowledgeError(f"{where}: expected a table of rules")
    unknown = sorted(set(table) - _MATCH_KEYS)
    if unknown:
        raise KnowledgeError(
            f"{where}.{unknown[0]}: unknown rule (known: {', '.join(sorted(_MATCH_KEYS))})"
        )
    prefixes = table.get("name_prefixes", [])
    if not isinstance(prefixes, list) or not all(isinstance(p, str) and p for p in prefixes):
        raise KnowledgeError(f"{where}.name_prefixes: expected a list of name beginnings")
    patterns: dict[str, str | None] = {}
    for key in ("manufacturer", "model", "firmware"):
        value = table.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip("*? ")):
            raise KnowledgeError(f"{where}.{key}: expected a pattern with some literal text")
        patterns[key] = value
    rules = MatchRules(tuple(prefixes), **patterns)
    if rules.empty:
        raise KnowledgeError(f"{where}: no rule (leave match out for an entry never matched)")
    return rules
