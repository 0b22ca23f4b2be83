"""Regenerate the cue sounds: ``uv run python resources/sounds/generate.py``.

Plain sine tones with short fades (no clicks), 16-bit mono 22.05 kHz WAV, so QSoundEffect
plays them without a decoder and the files stay a few kilobytes. Distinct on purpose:

- start.wav      two rising tones — a segment starts, or the belt is about to move
- countdown.wav  one short mid beep — each second of a countdown
- alarm.wav      three hard alternating beeps — an alarm that needs acknowledging
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RATE = 22050
HERE = Path(__file__).resolve().parent


def tone(freq: float, seconds: float, volume: float = 0.6) -> list[float]:
    n = int(RATE * seconds)
    fade = max(1, int(RATE * 0.01))
    out = []
    for i in range(n):
        envelope = min(1.0, i / fade, (n - 1 - i) / fade)
        out.append(volume * envelope * math.sin(2 * math.pi * freq * i / RATE))
    return out


def silence(seconds: float) -> list[float]:
    return [0.0] * int(RATE * seconds)


def write(name: str, samples: list[float]) -> None:
    with wave.open(str(HERE / name), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(b"".join(struct.pack("<h", int(s * 32767)) for s in samples))


if __name__ == "__main__":
    write("start.wav", tone(660, 0.12) + silence(0.04) + tone(990, 0.18))
    write("countdown.wav", tone(880, 0.09))
    alarm: list[float] = []
    for _ in range(3):
        alarm += tone(1040, 0.12, 0.8) + tone(700, 0.12, 0.8)
    write("alarm.wav", alarm)
