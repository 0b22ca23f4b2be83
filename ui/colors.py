"""The palette, once: painted widgets and the plot use these; ``resources/style.qss`` repeats
them for the stylesheet (QSS has no variables).

Forward is blue, backward amber (a caution colour: the person faces the rear), stop and alarms
red. Each is chosen to read on the near-black background from across a room, and the pair
forward/backward stays distinguishable with red-green colour blindness.
"""

from __future__ import annotations

BACKGROUND = "#0b0e13"
PANEL = "#161b22"
BORDER = "#30363d"
TEXT = "#f0f6fc"
DIM = "#9aa4ae"
FORWARD = "#4cc2ff"
BACKWARD = "#ffb000"
BACKWARD_BAND = "#3a2c08"  # the amber band behind backward bars and plot regions
TARGET = "#c9d1d9"
LEGEND_BACK = "#0b0e13c0"  # the background, mostly opaque: a curve under a legend stays legible
STOP = "#d1242f"
ALARM = "#ff5c5c"
OK = "#3fb950"
