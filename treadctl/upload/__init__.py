"""Sessions to where people keep them: an export folder, Strava, intervals.icu.

Shape::

    treadctl/upload/
     ├── after_session.py   after_session(session_id, …): the export folder, then uploads by
     │                      the profile's choice (auto / ask / never) — for the app core
     ├── uploader.py        Uploader: one try of one upload, recorded on the queue
     ├── queue.py           UploadQueue: the uploads table (pending → uploading → done |
     │                      duplicate | failed + next try), never lost, never sent twice
     ├── accounts.py        Accounts: <data folder>/accounts/<profile id>.json, 0600
     ├── connect.py         connect / disconnect an account, the after-session choices
     ├── strava.py          StravaClient: OAuth 2 (code, refresh), uploads and their polls
     ├── intervals.py       IntervalsClient: upload with an API key
     ├── oauth_redirect.py  RedirectCatcher: the browser's way back, on 127.0.0.1
     ├── export_folder.py   export_to_folder(log, setting): FIT/TCX/CSV into a chosen folder
     ├── http.py            one request with a time-out; multipart; errors as sentences
     ├── services.py        Service, ServiceConfig (where each service is)
     └── errors.py          UploadError and its kinds (what the queue does about each)

Nothing here runs on the event loop: everything blocks on the network or the disk, and the app
calls it on a worker thread. Nothing here logs a token, a secret or a key. The person's own
files (``docs/uploads.md``) say what is stored where.

Import the names from here (``from treadctl.upload import Uploader``); the modules import each
other's modules directly.
"""

from __future__ import annotations

from treadctl.upload.accounts import (
    Accounts,
    AfterSession,
    ExportFolder,
    IntervalsAccount,
    ProfileAccounts,
    StravaAccount,
)
from treadctl.upload.after_session import AfterSessionReport, after_session
from treadctl.upload.connect import (
    connect_intervals,
    connect_strava,
    disconnect,
    set_after_session,
    set_export_folder,
)
from treadctl.upload.errors import (
    AccountsError,
    AuthorizationError,
    NotConnected,
    NothingToUpload,
    ServiceError,
    ServiceUnreachable,
    UploadError,
)
from treadctl.upload.export_folder import FolderExport, export_to_folder
from treadctl.upload.queue import State, UploadQueue, UploadState, external_id_for
from treadctl.upload.services import Service, ServiceConfig
from treadctl.upload.uploader import Uploader

__all__ = [
    "Accounts",
    "AccountsError",
    "AfterSession",
    "AfterSessionReport",
    "AuthorizationError",
    "ExportFolder",
    "FolderExport",
    "IntervalsAccount",
    "NotConnected",
    "NothingToUpload",
    "ProfileAccounts",
    "Service",
    "ServiceConfig",
    "ServiceError",
    "ServiceUnreachable",
    "State",
    "StravaAccount",
    "UploadError",
    "UploadQueue",
    "UploadState",
    "Uploader",
    "after_session",
    "connect_intervals",
    "connect_strava",
    "disconnect",
    "export_to_folder",
    "external_id_for",
    "set_after_session",
    "set_export_folder",
]
