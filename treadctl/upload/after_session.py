"""What happens to a session once it has ended: the export folder, then the uploads.

Shape::

    after_session(session_id, folder=, store=None, config=, clock=, http=) -> AfterSessionReport
     ├── export      FolderExport | None     files written into the profile's export folder
     ├── uploads     [UploadState]           the services set to "auto", tried now (a failure
     │                                       is queued and retried: see treadctl.upload.queue)
     ├── to_ask      [Service]               the services set to "ask": the app asks, and a
     │                                       yes is ``Uploader.upload(session_id, service)``
     └── problems    [str]                   sentences: nothing here raises for the session,
                                             the folder, an account or a service

For the application core to call when a session has ended and its log is imported (not wired
in yet). It blocks on the network: call it on a worker thread (``asyncio.to_thread``); with no
``store`` it opens its own on that thread and closes it.

Whose settings: the session's profile's (``treadctl.upload.accounts``). A session of the
built-in Guest, or recorded under no profile, uses Guest's export folder and is never
uploaded (Guest has no accounts, see ``treadctl.upload.connect``).
"""

from __future__ import annotations

import glob
from collections.abc import Callable
from dataclasses import dataclass, field

from treadctl.clock import WallClock
from treadctl.data_folder import DataFolder
from treadctl.profiles import Profiles
from treadctl.store import LogImportError, Store, StoredSession, StoreError
from treadctl.upload.accounts import Accounts, AfterSession
from treadctl.upload.errors import UploadError
from treadctl.upload.export_folder import FolderExport, export_to_folder
from treadctl.upload.http import Http
from treadctl.upload.queue import UploadState
from treadctl.upload.services import Service, ServiceConfig
from treadctl.upload.uploader import Uploader

__all__ = ["AfterSessionReport", "after_session"]


@dataclass
class AfterSessionReport:
    session_id: str
    export: FolderExport | None = None
    uploads: list[UploadState] = field(default_factory=list)
    to_ask: list[Service] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def sentences(self, *, ask: Callable[[Service], str] | None = None) -> list[str]:
        """Everything that happened, a line each, for the app's status or the command line;
        ``ask`` words the line of a service set to "ask" (a front end that cannot ask)."""
        lines = []
        if self.export is not None:
            lines += [f"exported {path}" for path in self.export.written]
            lines += [f"already exported {path}" for path in self.export.already]
            lines += [f"export: {problem}" for problem in self.export.problems]
        lines += [state.describe() for state in self.uploads]
        word = ask or (lambda service: f"{service.label}: upload this session? (asks)")
        lines += self.problems
        lines += [word(service) for service in self.to_ask]
        return lines


def _find(store: Store, folder: DataFolder, session_id: str) -> StoredSession | None:
    session = store.session(session_id)
    if session is not None:
        return session
    # Not imported yet (the core imports a log when its session ends; a crash may have come
    # first): import it now, from its file in the sessions folder.
    matches = sorted(folder.sessions.glob(f"*_{glob.escape(session_id)}.jsonl"))
    if not matches:
        return None
    return store.import_log(matches[-1])


def after_session(
    session_id: str,
    *,
    folder: DataFolder,
    store: Store | None = None,
    config: ServiceConfig | None = None,
    clock: WallClock | None = None,
    http: Http | None = None,
) -> AfterSessionReport:
    """Export and upload ``session_id`` as its profile's settings say (module docstring)."""
    report = AfterSessionReport(session_id)
    own = store is None
    try:
        if store is None:
            store = Store.of(folder)
    except StoreError as error:
        report.problems.append(f"nothing was exported or uploaded: {error}")
        return report
    try:
        _run(report, store, folder, config=config, clock=clock, http=http)
    finally:
        if own:
            store.close()
    return report


def _run(
    report: AfterSessionReport,
    store: Store,
    folder: DataFolder,
    *,
    config: ServiceConfig | None,
    clock: WallClock | None,
    http: Http | None,
) -> None:
    try:
        session = _find(store, folder, report.session_id)
    except (LogImportError, StoreError) as error:
        report.problems.append(f"nothing was exported or uploaded: {error}")
        return
    if session is None:
        report.problems.append(
            f"nothing was exported or uploaded: no session {report.session_id} in the history "
            f"or in {folder.sessions}"
        )
        return
    profiles = Profiles(store)
    profile = profiles.find(session.profile) if session.profile is not None else None
    settings_of = profile if profile is not None else profiles.guest()
    try:
        accounts = Accounts(folder).load(settings_of)
    except UploadError as error:
        report.problems.append(f"nothing was exported or uploaded: {error}")
        return
    if accounts.export_folder is not None:
        report.export = export_to_folder(
            session.log_path, accounts.export_folder, data_folder=folder
        )
    if profile is None or profile.builtin:
        return
    uploader = Uploader(folder, store, config=config, clock=clock, http=http)
    for service in accounts.connected:
        match accounts.preference(service):
            case AfterSession.AUTO:
                report.uploads.append(uploader.upload(session.id, service))
            case AfterSession.ASK:
                done = uploader.queue.get(session.id, service)
                if done is None or not done.finished:
                    report.to_ask.append(service)
            case AfterSession.NEVER:
                pass
