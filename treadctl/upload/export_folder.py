"""The export folder: each finished session written as files into a folder the person chose.

Shape::

    export_to_folder(log_path, setting, data_folder=) -> FolderExport
     └── FolderExport(written, already, problems)    problems: one sentence per format

The files are named and written by the export's own rules (``treadctl.export``): named
``<date>_<time>_<program>.<format>`` (:func:`~treadctl.export.export_file_name`), written
whole or not at all, never over an existing file, never over a session log or the database
(:func:`~treadctl.export.write_file`). Two differences, both because nobody is there to answer
a question after a session:

- a file of that name that holds exactly these bytes is this session's, exported before (the
  app was restarted, ``after_session`` ran twice): ``already``, not a failure;
- a file of that name with other content is another session's (same minute, same program):
  the name gets the session id (``…_<id>.fit``), as ``treadctl export --all`` does.

The folder is not created: a folder on a USB stick that is not plugged in must not become a
new folder on the laptop's disk. A folder that is missing or cannot be written is a sentence,
and nothing is lost: the session log stays where it is, and ``treadctl export`` writes the
files later.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from treadctl.data_folder import DataFolder
from treadctl.export import (
    ExportError,
    ExportFormat,
    ExportSession,
    OutputExistsError,
    export_file_name,
    load_session,
    read_log,
    write_file,
)
from treadctl.recorder import SessionLogError
from treadctl.upload.accounts import ExportFolder

__all__ = ["FolderExport", "export_to_folder", "render"]


@dataclass
class FolderExport:
    """What :func:`export_to_folder` did: files ``written`` now, files ``already`` there from
    an earlier export, and a sentence for each format it could not write."""

    written: list[Path] = field(default_factory=list)
    already: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def render(session: ExportSession, fmt: ExportFormat) -> bytes:
    """The bytes of ``session`` as ``fmt`` (the writers of ``treadctl.export``)."""
    if fmt == "csv":
        from treadctl.export.csv_export import to_csv

        return to_csv(session).encode("utf-8")
    if fmt == "tcx":
        from treadctl.export.tcx import to_tcx

        return to_tcx(session)
    from treadctl.export.fit import to_fit

    return to_fit(session)


def _same_bytes(path: Path, data: bytes) -> bool:
    try:
        if path.stat().st_size != len(data):
            return False
        return path.read_bytes() == data
    except OSError:
        return False


def export_to_folder(
    log_path: Path, setting: ExportFolder, *, data_folder: DataFolder | None = None
) -> FolderExport:
    """Write the session of ``log_path`` into ``setting.path`` in each of its formats (see
    the module docstring). Never raises for the log or the folder: the sentences are in
    ``problems``."""
    result = FolderExport()
    folder = setting.path
    if not folder.is_dir():
        result.problems.append(
            f"the export folder {folder} is not there (a drive not plugged in?); the session "
            "is kept in its log, and `treadctl export` can write it later"
        )
        return result
    if not os.access(folder, os.W_OK):
        result.problems.append(
            f"the export folder {folder} cannot be written (read only, or not yours); the "
            "session is kept in its log, and `treadctl export` can write it elsewhere"
        )
        return result
    try:
        log = read_log(log_path)
        session = load_session(log)
    except (ExportError, SessionLogError) as error:
        result.problems.append(f"the session could not be exported: {error}")
        return result
    for fmt in setting.formats:
        try:
            data = render(session, fmt)
        except ExportError as error:
            result.problems.append(f"{fmt.upper()} not written: {error}")
            continue
        for with_id in (False, True):
            target = folder / export_file_name(session, fmt, with_id=with_id)
            if _same_bytes(target, data):
                result.already.append(target)
                break
            try:
                result.written.append(write_file(target, data, data_folder=data_folder))
                break
            except OutputExistsError:
                if with_id:
                    result.problems.append(
                        f"{fmt.upper()} not written: {target} already exists with other content"
                    )
            except ExportError as error:
                result.problems.append(f"{fmt.upper()} not written: {error}")
                break
    return result
