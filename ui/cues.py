"""Cues for a person who may be facing away: the TURN AROUND overlay, speech and sounds.

Shape::

    Speaker(engine=None, enabled=True)      QTextToSpeech, or nothing where it cannot speak
    SoundPlayer(enabled=True)               QSoundEffect per sound in resources/sounds/
    TurnaroundCue(bridge)                   what the full-screen cue shows now (``Cue`` or
                                            None), from bridge signals: its words, once
        start_countdown                     "STARTING" / "RESUMING" + count before the belt moves
        Countdown(turnaround=True)          "TURN AROUND", get ready (no count: the one count
                                            of a turnaround is the hold's, next)
        TURNAROUND_STARTED / _COUNTDOWN     shown while the belt slows and holds: "Face
                                            BACKWARD in 3, 2, 1", shown and said alike
        DIRECTION_CHANGED                   "NOW FACING …" for a moment (if a cue showed)
        a stop / the end                    gone
    Cues(bridge, overlay, alarms, speaker, sounds)
        TurnaroundCue → overlay             the window's overlay shows what the model says
        start_countdown                     beep; "Starting in 3, 2, 1"
        Countdown                           beep; "next segment in 3, 2, 1"; before a
                                            turnaround once "Get ready to turn around."
        turnaround notices                  "Slowing down…", "Face backward in 3, 2, 1",
                                            "Now facing …", sounds
        SegmentStarted                      start sound; speak the label and the step's cue
        AlarmBanner.alarm_raised            alarm sound; speak the alarm's short text

Why the cue is a model of its own: every screen that shows it (the window's overlay, the rear
display of ``ui.rear_display``) must say the same words at the same moment; each builds a
``TurnaroundCue`` on the bridge and paints what it says.

Sound and speech are optional extras. A system with no voice or no audio device gets a Speaker
or SoundPlayer that does nothing; any failure at construction or while playing is logged once
and swallowed, because a cue must never be the reason a session breaks.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, QUrl, Signal

from treadctl.core import (
    Countdown,
    Direction,
    Notice,
    NoticeKind,
    SegmentStarted,
    SessionState,
    StateChanged,
)
from ui.alarms import Alarm, AlarmBanner
from ui.bridge import Bridge
from ui.overlay import TurnaroundOverlay

logger = logging.getLogger(__name__)

SOUNDS_DIR = Path(__file__).resolve().parent.parent / "resources" / "sounds"
SOUND_NAMES = ("start", "countdown", "alarm")

#: How long "NOW FACING …" stays up after the flip.
FACING_CUE_MS = 2500


class Speaker:
    """Says short phrases, or silently does nothing where there is no usable voice."""

    def __init__(self, engine: str | None = None, *, enabled: bool = True) -> None:
        self._tts = None
        self.spoken: list[str] = []  # what was asked, for tests and the log
        if not enabled:
            return
        try:
            from PySide6.QtTextToSpeech import QTextToSpeech

            tts = QTextToSpeech(engine) if engine else QTextToSpeech()
            if tts.state() == QTextToSpeech.State.Error:
                logger.info("no speech: %s", tts.errorString() or "engine failed to start")
                return
        except (ImportError, RuntimeError) as error:
            logger.info("no speech: %s", error)
            return
        self._tts = tts

    @property
    def available(self) -> bool:
        return self._tts is not None

    def say(self, text: str) -> None:
        self.spoken.append(text)
        tts = self._tts
        if tts is None:
            return
        try:
            # say() interrupts what is being said: a stale "3" must not delay the "2".
            tts.say(text)
        except RuntimeError as error:
            logger.warning("speech failed, going quiet: %s", error)
            self._tts = None


class SoundPlayer:
    """Plays the cue sounds, or nothing where there is no audio."""

    def __init__(self, *, enabled: bool = True, directory: Path = SOUNDS_DIR) -> None:
        self._effects: dict[str, object] = {}
        self.played: list[str] = []
        if not enabled:
            return
        try:
            from PySide6.QtMultimedia import QSoundEffect
        except ImportError as error:
            logger.info("no sounds: %s", error)
            return
        for name in SOUND_NAMES:
            path = directory / f"{name}.wav"
            if not path.exists():
                continue
            effect = QSoundEffect()
            effect.setSource(QUrl.fromLocalFile(str(path)))
            effect.setVolume(0.8)
            self._effects[name] = effect

    def play(self, name: str) -> None:
        self.played.append(name)
        effect = self._effects.get(name)
        if effect is None:
            return
        try:
            effect.play()  # type: ignore[attr-defined]
        except RuntimeError as error:
            logger.warning("sound %s failed, going quiet: %s", name, error)
            self._effects.clear()


@dataclass(frozen=True)
class Cue:
    """What the TURN AROUND cue shows: a headline, a line under it, a count, and the direction
    the person is about to face (its colour)."""

    headline: str
    detail: str
    count: int | None
    direction: Direction

    @property
    def text(self) -> str:
        """The cue as one line (for tests and accessibility)."""
        parts = [self.headline, self.detail, "" if self.count is None else str(self.count)]
        return " ".join(p for p in parts if p)


def _to(data: dict[str, object], key: str) -> Direction:
    return Direction(str(data.get(key, Direction.BACKWARD.value)))


class TurnaroundCue(QObject):
    """What the TURN AROUND cue shows now, from the bridge's signals; ``changed`` with the new
    :class:`Cue`, or ``None`` when it goes away."""

    changed = Signal(object)  # Cue | None

    def __init__(self, bridge: Bridge, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._current: Cue | None = None
        self._facing_timer = QTimer(self)
        self._facing_timer.setSingleShot(True)
        self._facing_timer.setInterval(FACING_CUE_MS)
        self._facing_timer.timeout.connect(self.on_facing_timeout)
        bridge.countdown.connect(self.on_countdown)
        bridge.start_countdown.connect(self.on_start_countdown)
        bridge.countdown_cancelled.connect(self._hide)
        bridge.notice.connect(self.on_notice)
        bridge.state_changed.connect(self.on_state_changed)
        bridge.session_finished.connect(self.on_session_finished)

    @property
    def current(self) -> Cue | None:
        return self._current

    def on_start_countdown(self, seconds: int, what: str, facing: Direction) -> None:
        if seconds <= 0:
            self._hide()
            return
        self._show(Cue(what.upper(), f"{what}: the belt moves in", seconds, facing))

    def on_countdown(self, event: Countdown) -> None:
        nxt = event.next
        if event.turnaround and nxt is not None:
            # A warning without numbers: the one count of a turnaround is the hold's
            # (TURNAROUND_COUNTDOWN), so a person hears and sees one count, in one set of words.
            to = nxt.segment.direction
            self._show(
                Cue(
                    "TURN AROUND",
                    f"Soon: the belt slows down, then face {to.value.upper()}",
                    None,
                    to,
                )
            )

    def on_notice(self, notice: Notice) -> None:
        data = notice.data
        match notice.kind:
            case NoticeKind.TURNAROUND_STARTED:
                to = _to(data, "to")
                self._show(
                    Cue(
                        "TURN AROUND",
                        f"Slowing down. Get ready to face {to.value.upper()}",
                        None,
                        to,
                    )
                )
            case NoticeKind.TURNAROUND_COUNTDOWN:
                to = _to(data, "to")
                seconds = int(data.get("seconds", 0))
                self._show(Cue("TURN AROUND", f"Face {to.value.upper()} in", seconds, to))
            case NoticeKind.DECK_WAIT:
                to = _to(data, "to")
                cap = data.get("cap_pct")
                down = "" if cap is None else f" to {cap:g} %"
                self._show(Cue("TURN AROUND", f"Wait: the deck comes down{down} first.", None, to))
            case NoticeKind.DIRECTION_CHANGED:
                # Only as the end of a turnaround cue: a session starting backward needs none.
                if self._current is not None:
                    to = _to(data, "direction")
                    self._show(Cue(f"NOW FACING {to.value.upper()}", "", None, to))
                    self._facing_timer.start()
            case NoticeKind.STOPPED:
                self._hide()

    def on_state_changed(self, event: StateChanged) -> None:
        # A stop takes the cue away at once: the screen must show the stop, not "turn around".
        if event.state in (SessionState.STOPPED, SessionState.RESTING, SessionState.FINISHED):
            self._hide()

    def on_session_finished(self, *_: object) -> None:
        self._hide()

    def on_facing_timeout(self) -> None:
        self._hide()

    def _show(self, cue: Cue) -> None:
        self._facing_timer.stop()
        self._current = cue
        self.changed.emit(cue)

    def _hide(self) -> None:
        self._facing_timer.stop()
        if self._current is not None:
            self._current = None
            self.changed.emit(None)


class Cues(QObject):
    def __init__(
        self,
        bridge: Bridge,
        overlay: TurnaroundOverlay,
        alarms: AlarmBanner,
        speaker: Speaker,
        sounds: SoundPlayer,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._overlay = overlay
        self._speaker = speaker
        self._sounds = sounds
        # The last count spoken: the first number of a run is said in full, then just numbers.
        self._last_count: int | None = None
        self._warned = False  # "get ready to turn around" said for the coming turnaround
        self.turnaround = TurnaroundCue(bridge, self)
        self.turnaround.changed.connect(self.on_cue_changed)
        bridge.countdown.connect(self.on_countdown)
        bridge.start_countdown.connect(self.on_start_countdown)
        bridge.notice.connect(self.on_notice)
        bridge.segment_started.connect(self.on_segment_started)
        bridge.state_changed.connect(self.on_state_changed)
        bridge.session_finished.connect(self.on_session_finished)
        alarms.alarm_raised.connect(self.on_alarm)

    def on_cue_changed(self, cue: Cue | None) -> None:
        if cue is None:
            self._overlay.hide_cue()
        else:
            self._overlay.show_cue(cue.headline, cue.detail, cue.count, cue.direction)

    def _count(self, seconds: int, phrase: str) -> None:
        """Speak ``phrase`` with the number the first time, then just the numbers."""
        first = self._last_count is None or seconds >= self._last_count
        self._last_count = seconds
        self._speaker.say(f"{phrase} {seconds}" if first else str(seconds))

    def on_start_countdown(self, seconds: int, what: str, facing: Direction) -> None:
        if seconds > 0:
            self._sounds.play("countdown")
            self._count(seconds, f"{what} in")

    def on_countdown(self, event: Countdown) -> None:
        if event.turnaround and event.next is not None:
            if not self._warned:
                self._warned = True
                self._sounds.play("countdown")
                self._speaker.say("Get ready to turn around.")
            return
        self._sounds.play("countdown")
        self._count(event.seconds, "Next segment in")

    def on_notice(self, notice: Notice) -> None:
        data = notice.data
        match notice.kind:
            case NoticeKind.TURNAROUND_STARTED:
                self._last_count = None
                self._speaker.say("Slowing down. Get ready to turn around.")
            case NoticeKind.TURNAROUND_COUNTDOWN:
                self._sounds.play("countdown")
                to = _to(data, "to")
                self._count(int(data.get("seconds", 0)), f"Face {to.value} in")
            case NoticeKind.DECK_WAIT:
                self._speaker.say("Wait: the deck comes down first.")
            case NoticeKind.DIRECTION_CHANGED:
                to = _to(data, "direction")
                self._last_count = None
                self._warned = False
                self._sounds.play("start")
                self._speaker.say(f"Now facing {to.value}.")
            case NoticeKind.STOPPED:
                self._last_count = None

    def on_segment_started(self, event: SegmentStarted) -> None:
        seg = event.planned.segment
        self._last_count = None
        self._warned = False
        self._sounds.play("start")
        words = seg.label if not seg.cue else f"{seg.label}. {seg.cue}"
        self._speaker.say(words)

    def on_state_changed(self, event: StateChanged) -> None:
        if event.state in (SessionState.STOPPED, SessionState.RESTING, SessionState.FINISHED):
            self._last_count = None

    def on_session_finished(self, *_: object) -> None:
        self._last_count = None

    def on_alarm(self, alarm: Alarm) -> None:
        self._sounds.play("alarm")
        self._speaker.say(alarm.text.spoken)
