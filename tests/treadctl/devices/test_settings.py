"""Per-treadmill settings (treadctl.devices.settings): stored per treadmill, PIN to loosen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.core import core_scenario
from tests.helpers.ftms_client import run
from treadctl.core import Connected
from treadctl.devices.deviations import Deviations
from treadctl.devices.settings import (
    DeviceSettings,
    DeviceSettingsError,
    DeviceSettingsStore,
    applied,
)
from treadctl.profiles import PinRequired, Profiles, WrongPin
from treadctl.store import Store

PIN = "2468"
FOLLOWS = Deviations(unit_follows_console=True)


@pytest.fixture
def profiles(tmp_path: Path) -> Iterator[Profiles]:
    with Store(tmp_path / "data") as store:
        yield Profiles(store)


def test_miles_never_needs_the_pin_km_and_forgetting_miles_do(profiles: Profiles) -> None:
    settings = DeviceSettingsStore(profiles)
    assert settings.get("AA:BB") == DeviceSettings()
    settings.set("AA:BB", DeviceSettings("miles"))  # the slower belt if wrong: no PIN
    assert settings.get("AA:BB") == DeviceSettings("miles")
    with pytest.raises(PinRequired, match="console unit not set \\(was miles\\)"):
        settings.set("AA:BB", DeviceSettings())  # back to km/h numbers: faster
    with pytest.raises(PinRequired, match=r"console unit km .* for treadmill 'AA:BB'"):
        settings.set("AA:BB", DeviceSettings("km"))
    assert settings.get("AA:BB") == DeviceSettings("miles")  # nothing written
    settings.set("AA:BB", DeviceSettings("km"), pin=PIN)  # the first PIN becomes the PIN
    assert settings.get("AA:BB") == DeviceSettings("km")
    with pytest.raises(WrongPin):
        settings.set("CC:DD", DeviceSettings("km"), pin="0000")
    settings.set("AA:BB", DeviceSettings())  # km -> not said: never faster
    assert settings.all() == {}


def test_settings_are_kept_per_treadmill_by_address_then_name(
    profiles: Profiles, tmp_path: Path
) -> None:
    settings = DeviceSettingsStore(profiles)
    settings.set("TM4800-2F1A", DeviceSettings("miles"))
    settings.set("AA:BB", DeviceSettings("km"), pin=PIN)
    assert settings.lookup("AA:BB", "TM4800-2F1A") == DeviceSettings("km")  # address wins
    assert settings.lookup("EE:FF", "TM4800-2F1A") == DeviceSettings("miles")
    assert settings.lookup("EE:FF", None) == DeviceSettings()
    assert settings.all() == {"AA:BB": DeviceSettings("km"), "TM4800-2F1A": DeviceSettings("miles")}
    with pytest.raises(DeviceSettingsError, match="address or name"):
        settings.set(" ", DeviceSettings("miles"))
    # A hand-edited row is an error naming the treadmill, not a silent default.
    profiles.store.execute(
        "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
        ("device:BAD", '{"console_unit": "furlongs"}'),
    )
    with pytest.raises(DeviceSettingsError, match=r"treadmill 'BAD': console unit.*furlongs"):
        settings.get("BAD")


def test_what_the_link_applies() -> None:
    mph = Deviations(speed_command_unit="mph", speed_data_unit="mph")
    # A treadmill known to follow its console: unsaid is assumed miles (the safe side).
    assert applied(FOLLOWS, DeviceSettings())[0] == FOLLOWS.merged(mph)
    assert "assumed miles" in applied(FOLLOWS, DeviceSettings())[1][0]
    assert applied(FOLLOWS, DeviceSettings("km"))[0] == FOLLOWS
    assert applied(FOLLOWS, DeviceSettings("miles"))[0] == FOLLOWS.merged(mph)
    # Any treadmill the person says is in miles speaks mph; km changes nothing else.
    assert applied(Deviations(), DeviceSettings("miles"))[0] == mph
    assert applied(Deviations(), DeviceSettings("km")) == (Deviations(), [])
    assert applied(Deviations(), DeviceSettings()) == (Deviations(), [])
    # A treadmill that reads mph whatever its console keeps that with its console in km.
    t9 = Deviations(speed_command_unit="mph", unit_follows_console=True)
    assert applied(t9, DeviceSettings("km"))[0].speed_command_unit == "mph"
    with pytest.raises(DeviceSettingsError, match="console unit: expected one of km, miles"):
        DeviceSettings("leagues")  # type: ignore[arg-type]
    with pytest.raises(DeviceSettingsError, match="x: not JSON"):
        DeviceSettings.from_json("{", "x")
    with pytest.raises(DeviceSettingsError, match="x: unknown settings"):
        DeviceSettings.from_json('{"colour": 1}', "x")


def test_the_application_core_gives_the_link_its_store_s_settings(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with core_scenario(tmp_path / "data", connect=False) as scn:
            store = DeviceSettingsStore(scn.core.people.profiles)
            store.set(scn.world.treadmill_address, DeviceSettings("miles"))
            await scn.core.connect(scn.world.treadmill_address)
            connected = await scn.event(Connected)
            assert any("console is set to miles" in n for n in connected.info.notes)

    run(scenario)
