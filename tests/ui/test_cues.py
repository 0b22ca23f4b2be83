"""Cues: what is shown and said around a turnaround, and that missing speech or sound never
breaks anything. (The full run through a real turnaround is in test_flows.)"""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from treadctl.clock import RealClock
from treadctl.core import AppCore, BleakBackends, DataFolder
from treadctl.limits import Direction
from treadctl.program import PlannedSegment, Segment
from treadctl.safety import Notice, NoticeKind, StopReason
from treadctl.session import Countdown, SessionState, StateChanged
from ui.alarms import AlarmBanner
from ui.bridge import Bridge
from ui.cues import Cues, SoundPlayer, Speaker
from ui.overlay import TurnaroundOverlay


def _backward_next() -> PlannedSegment:
    seg = Segment("Backward walk", Direction.BACKWARD, 2.0, duration_s=60)
    return PlannedSegment(1, 2, seg)


def test_speech_that_cannot_start_is_silent() -> None:
    speaker = Speaker("no-such-engine")
    assert not speaker.available
    speaker.say("Turn around in 3")  # nothing to hear, nothing raised
    assert speaker.spoken == ["Turn around in 3"]
    assert not Speaker(enabled=False).available


def test_sounds_without_an_audio_device_or_files_are_silent(tmp_path: Path) -> None:
    SoundPlayer().play("alarm")  # this machine has no audio device
    empty = SoundPlayer(directory=tmp_path)
    empty.play("start")
    assert empty.played == ["start"]


def test_turnaround_cue_sequence(qtbot: QtBot, tmp_path: Path) -> None:
    bridge = Bridge(AppCore(RealClock(), BleakBackends(), DataFolder.at(tmp_path)))
    overlay = TurnaroundOverlay()
    qtbot.addWidget(overlay)
    banner = AlarmBanner(bridge)
    qtbot.addWidget(banner)
    speaker = Speaker("mock")
    Cues(bridge, overlay, banner, speaker, SoundPlayer(enabled=False), bridge)
    overlay.show_cue("x", "", None, Direction.FORWARD)
    overlay.hide_cue()

    # Before the segment ends: a warning, said once, with no numbers — the one count of a
    # turnaround is the hold's, below, shown and said in the same words.
    for n in (3, 2, 1):
        bridge.countdown.emit(Countdown(0.0, n, _backward_next(), True))
    assert overlay.isVisible()
    assert overlay.cue_text.startswith("TURN AROUND")
    assert "BACKWARD" in overlay.cue_text and not overlay.cue_text[-1].isdigit()
    assert speaker.spoken == ["Get ready to turn around."]

    for n in (5, 4):
        bridge.notice.emit(
            Notice(
                NoticeKind.TURNAROUND_COUNTDOWN,
                "Face backward in",
                {"seconds": n, "to": "backward"},
            )
        )
    assert overlay.cue_text == "TURN AROUND Face BACKWARD in 4"
    assert speaker.spoken[-2:] == ["Face backward in 5", "4"]
    bridge.notice.emit(
        Notice(NoticeKind.DIRECTION_CHANGED, "Now facing backward.", {"direction": "backward"})
    )
    assert overlay.cue_text == "NOW FACING BACKWARD"
    assert speaker.spoken[-1] == "Now facing backward."

    # A stop takes the cue away at once: the screen must show the stop, not "turn around".
    bridge.countdown.emit(Countdown(0.0, 3, _backward_next(), True))
    assert overlay.isVisible()
    bridge.state_changed.emit(StateChanged(0.0, SessionState.STOPPED, StopReason.APP_STOP))
    assert not overlay.isVisible()


def test_alarm_is_heard_and_repeats_update_one_row(qtbot: QtBot, tmp_path: Path) -> None:
    bridge = Bridge(AppCore(RealClock(), BleakBackends(), DataFolder.at(tmp_path)))
    overlay = TurnaroundOverlay()
    banner = AlarmBanner(bridge)
    qtbot.addWidget(overlay)
    qtbot.addWidget(banner)
    sounds = SoundPlayer(enabled=False)
    speaker = Speaker("mock")
    Cues(bridge, overlay, banner, speaker, sounds, bridge)
    lost = Notice(NoticeKind.LINK_LOST, "Connection to the treadmill lost.")
    bridge.notice.emit(lost)
    bridge.notice.emit(lost)
    assert banner.active_kinds == [NoticeKind.LINK_LOST]
    assert sounds.played == ["alarm", "alarm"]
    assert "own stop" in speaker.spoken[-1]
    bridge.notice.emit(Notice(NoticeKind.SPEED_CLAMPED, "clamped"))  # not an alarm
    assert banner.active_kinds == [NoticeKind.LINK_LOST]
    banner.acknowledge(NoticeKind.LINK_LOST)
    assert banner.active_kinds == []
