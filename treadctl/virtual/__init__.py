"""The virtual treadmill: Bumble peripherals on an in-process radio, reached through Bleak.

`world.VirtualRadio` owns the shared Bumble link and every device on it; `backend` holds the
Bleak scanner/client backends that let unchanged app code talk to those devices.
"""
