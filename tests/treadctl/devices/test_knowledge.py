"""The device knowledge base (treadctl.devices.knowledge): loading, checking and matching."""

from __future__ import annotations

from pathlib import Path

import pytest

from treadctl.devices.deviations import Deviations
from treadctl.devices.knowledge import (
    BUILTIN_KNOWLEDGE,
    CERTAINTIES,
    DeviceIdentity,
    KnowledgeBase,
    KnowledgeError,
)

ENTRY = """
[[device]]
id = "{id}"
device = "A treadmill"
certainty = "code"
sources = ["somewhere/else README"]
description = "What it does."
{extra}
"""


def kb(*entries: str) -> KnowledgeBase:
    return KnowledgeBase.parse("\n".join(entries), "kb.toml")


def entry(entry_id: str, extra: str = "") -> str:
    return ENTRY.format(id=entry_id, extra=extra)


# --- the built-in file -----------------------------------------------------------------------


def test_the_builtin_file_loads_and_every_entry_names_its_source_and_certainty() -> None:
    base = KnowledgeBase.builtin()
    assert base is KnowledgeBase.builtin()  # read once
    assert base.source == str(BUILTIN_KNOWLEDGE)
    assert base.entries
    for e in base.entries:
        assert e.certainty in CERTAINTIES
        assert e.sources and all(s.strip() for s in e.sources)
        assert e.device and e.description
        # The virtual treadmill emulates every deviation the link is told of (its own
        # values may differ: the state of the emulated unit).
        assert set(e.deviations.changed()) <= set(e.virtual_deviations.changed())


def test_today_s_handling_is_in_the_knowledge_base() -> None:
    base = KnowledgeBase.builtin()
    kingsmith = base.match(DeviceIdentity(name="KS-HD-Z1D"))
    assert kingsmith is not None and kingsmith.id == "kingsmith"
    assert kingsmith.deviations.needs_start_before_speed
    assert base.match(DeviceIdentity(name="Virtual Treadmill")) is None
    assert base.get("no-ranges").deviations.has_ranges is False
    assert base.get("no-ranges").match == ()  # detected at run time: never matched
    with pytest.raises(KeyError, match=r"no device entry 'peloton'; known: .*kingsmith"):
        base.get("peloton")


# --- matching --------------------------------------------------------------------------------


def test_matching_by_name_prefix_is_case_insensitive_and_needs_a_name() -> None:
    base = kb(entry("pad", 'match = { name_prefixes = ["KS-", "WP-"] }'))
    assert base.match(DeviceIdentity(name="ks-hd-z1d")) is base.get("pad")
    assert base.match(DeviceIdentity(name="WP-1")) is base.get("pad")
    assert base.match(DeviceIdentity(name="XKS-1")) is None
    assert base.match(DeviceIdentity()) is None


def test_device_information_patterns_must_all_hold() -> None:
    base = kb(entry("t85", 'match = { manufacturer = "FITSHOW*", firmware = "1.2.?" }'))
    assert base.match(DeviceIdentity(manufacturer="FitShow Ltd", firmware="1.2.8")) is not None
    assert base.match(DeviceIdentity(manufacturer="FitShow Ltd", firmware="1.3.0")) is None
    assert base.match(DeviceIdentity(manufacturer="FitShow Ltd")) is None  # not given: no


def test_the_most_specific_entry_wins_and_a_tie_goes_to_the_first() -> None:
    base = kb(
        entry("kingsmith", 'match = { name_prefixes = ["KS-"] }'),
        entry("x21", 'match = { name_prefixes = ["KS-X21"] }'),
        entry("ph4", 'match = [{ name_prefixes = ["KS-"], model = "*PH4*" }, { model = "PH4" }]'),
        entry("twin", 'match = { name_prefixes = ["KS-X"] }'),
        entry("twin2", 'match = { name_prefixes = ["KS-Y"] }'),
    )
    assert base.match(DeviceIdentity(name="KS-HD-Z1D")).id == "kingsmith"  # type: ignore[union-attr]
    assert base.match(DeviceIdentity(name="KS-X21C")).id == "x21"  # type: ignore[union-attr]
    # Two rules beat one, however long the one.
    ph4 = DeviceIdentity(name="KS-X21C", model="WalkingPad PH4")
    assert base.match(ph4).id == "ph4"  # type: ignore[union-attr]
    assert base.match(DeviceIdentity(model="ph4")).id == "ph4"  # type: ignore[union-attr]
    assert base.match(DeviceIdentity(name="KS-XA")).id == "twin"  # type: ignore[union-attr]


def test_an_entry_without_rules_matches_nothing() -> None:
    base = kb(entry("detected"))
    assert base.match(DeviceIdentity(name="anything", model="x")) is None


# --- errors: one line naming the file, the entry and the key ---------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[device]\nid=", "kb.toml: not valid TOML: "),
        ("version = 1", "kb.toml: version: unknown key"),
        ("device = 3", "kb.toml: device: expected \\[\\[device\\]\\] entries"),
        (entry("Bad Id"), "kb.toml: device #1: id: expected lower-case"),
        (entry("standard"), "kb.toml: device 'standard': id: already taken"),
        (entry("a") + entry("a"), "kb.toml: device 'a': id: already taken"),
        (entry("a", "colour = 1"), "kb.toml: device 'a': colour: unknown key"),
        (
            entry("a").replace('"code"', '"sure"'),
            "kb.toml: device 'a': certainty: expected one of captured, code, report, inferred",
        ),
        (entry("a").replace('["somewhere/else README"]', "[]"), "device 'a': sources: expected"),
        (entry("a").replace('"What it does."', '""'), "device 'a': description: expected"),
        (
            entry("a", "deviations = { needs_start_first = true }"),
            "kb.toml: device 'a': deviations: needs_start_first: not a known deviation",
        ),
        (
            entry("a", "deviations = { needs_start_before_speed = 1 }"),
            "device 'a': deviations: needs_start_before_speed: expected true or false",
        ),
        (entry("a", "deviations = 3"), "device 'a': deviations: expected a table"),
        (
            entry("a", 'match = { name = "KS" }'),
            "kb.toml: device 'a': match.name: unknown rule",
        ),
        (entry("a", "match = {}"), "device 'a': match: no rule"),
        (entry("a", 'match = { model = "*" }'), "device 'a': match.model: expected a pattern"),
        (entry("a", 'match = { name_prefixes = "KS-" }'), "match.name_prefixes: expected a list"),
        (entry("a", "match = [3]"), "device 'a': match: expected a table of rules"),
        (
            entry("a", 'match = { name_prefixes = ["KS-"] }')
            + entry("b", 'match = { name_prefixes = ["KS-"] }'),
            "kb.toml: device 'b': match: the same rules as 'a'",
        ),
        (entry("a", 'virtual = { colour = "red" }'), "device 'a': virtual.colour: unknown key"),
        (entry("a", "virtual = { name = 3 }"), "device 'a': virtual.name: expected"),
        (
            entry("a", "virtual = { deviations = { speed_unit = 1 } }"),
            "device 'a': virtual.deviations: speed_unit: not a known deviation",
        ),
    ],
)
def test_a_bad_entry_is_one_line_naming_file_entry_and_key(text: str, message: str) -> None:
    with pytest.raises(KnowledgeError, match=message) as error:
        KnowledgeBase.parse(text, "kb.toml")
    assert "\n" not in str(error.value)


def test_files_are_read_safely(tmp_path: Path) -> None:
    missing = tmp_path / "none.toml"
    with pytest.raises(KnowledgeError, match=f"{missing}: cannot be read"):
        KnowledgeBase.load(missing)
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe")
    with pytest.raises(KnowledgeError, match="not UTF-8"):
        KnowledgeBase.load(binary)
    huge = tmp_path / "huge.toml"
    huge.write_bytes(b"#" * (2 << 20))
    with pytest.raises(KnowledgeError, match="larger than"):
        KnowledgeBase.load(huge)
    good = tmp_path / "good.toml"
    good.write_text(entry("a", "virtual = { deviations = { requires_control = false } }"))
    loaded = KnowledgeBase.load(good)
    assert loaded.get("a").deviations == Deviations()
    assert loaded.get("a").virtual_deviations == Deviations(requires_control=False)
