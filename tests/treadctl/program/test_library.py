"""The person's own programs (treadctl.program.library): listing, broken files, import, export."""

from __future__ import annotations

import dataclasses
import stat
from pathlib import Path

import pytest

from treadctl.data_folder import DataFolder
from treadctl.program import (
    ProgramError,
    ProgramExistsError,
    ProgramLibrary,
    builtin_programs,
    dump_program,
    export_program,
    load_program,
    parse_program,
)

GOOD = 'name = "Mine"\n[[steps]]\ndirection = "backward"\nspeed = "2 km/h"\nduration = "1 min"\n'


def test_the_library_is_the_data_folders_programs_folder(tmp_path: Path) -> None:
    folder = DataFolder.at(tmp_path / "data")
    assert folder.programs == tmp_path / "data" / "programs"
    library = ProgramLibrary(folder.programs)
    assert library.entries() == []  # no folder yet: an empty library, not an error
    assert not folder.programs.exists()


def test_entries_list_every_file_and_say_why_one_is_unusable(tmp_path: Path) -> None:
    (tmp_path / "b-mine.toml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "a-broken.toml").write_text('name = "x"\n[[steps]]\nspede = 1\n', "utf-8")
    (tmp_path / "notes.txt").write_text("not a program", encoding="utf-8")
    broken, mine = ProgramLibrary(tmp_path).entries()
    assert mine.usable and mine.program == load_program(tmp_path / "b-mine.toml")
    assert not broken.usable and broken.program is None
    assert broken.error is not None
    assert "a-broken.toml: steps[0]: spede: expected a step key" in str(broken.error)


def test_a_new_name_never_takes_an_existing_file(tmp_path: Path) -> None:
    library = ProgramLibrary(tmp_path)
    first = library.path_for("Backward intervals, week 2!")
    assert first == tmp_path / "backward-intervals-week-2.toml"
    first.write_text(GOOD, encoding="utf-8")
    second = library.path_for("Backward intervals, week 2!")
    assert second.name == "backward-intervals-week-2-2.toml"
    assert library.path_for("Ωμέγα").name == "program.toml"  # nothing left of it in ASCII


def test_import_copies_a_good_file_privately(tmp_path: Path) -> None:
    source = tmp_path / "elsewhere" / "mine.toml"
    source.parent.mkdir()
    source.write_text("# my own comment\n" + GOOD, encoding="utf-8")
    library = ProgramLibrary(tmp_path / "data" / "programs")
    target = library.import_file(source)
    assert target == library.folder / "mine.toml"
    assert target.read_text(encoding="utf-8") == source.read_text(encoding="utf-8")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(library.folder.stat().st_mode) == 0o700
    assert [e.path for e in library.entries()] == [target]


def test_import_refuses_a_bad_file_with_the_parsers_sentence(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n[[steps]]\nspeed = "4.5"\n', encoding="utf-8")
    library = ProgramLibrary(tmp_path / "programs")
    with pytest.raises(ProgramError, match=r"bad\.toml: steps\[0\]"):
        library.import_file(bad)
    assert not (library.folder / "bad.toml").exists()


def test_import_never_replaces_a_program_unless_asked(tmp_path: Path) -> None:
    library = ProgramLibrary(tmp_path / "programs")
    library.make_folder()
    kept = library.folder / "mine.toml"
    kept.write_text(GOOD.replace("Mine", "Kept"), encoding="utf-8")
    source = tmp_path / "mine.toml"
    source.write_text(GOOD, encoding="utf-8")
    with pytest.raises(ProgramExistsError) as raised:
        library.import_file(source)
    assert raised.value.path == kept
    assert load_program(kept).name == "Kept"
    assert library.import_file(source, replace=True) == kept
    assert load_program(kept).name == "Mine"


def test_export_keeps_the_files_text_or_writes_the_program(tmp_path: Path) -> None:
    builtin = builtin_programs()[0]
    copy = export_program(builtin, tmp_path / "copy.toml")
    assert copy.read_bytes() == Path(builtin.source or "").read_bytes()
    unsaved = dataclasses.replace(load_program(copy), name="Edited", source=None)
    written = export_program(unsaved, tmp_path / "edited.toml")
    assert written.read_text(encoding="utf-8") == dump_program(unsaved)


def test_save_writes_a_program_made_elsewhere_and_never_replaces_without_asking(
    tmp_path: Path,
) -> None:
    library = ProgramLibrary(tmp_path / "programs")
    program = parse_program(GOOD)
    path = library.save(program)
    assert path == tmp_path / "programs" / "mine.toml"
    assert load_program(path) == program
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    changed = dataclasses.replace(program, description="changed")
    with pytest.raises(ProgramExistsError) as caught:
        library.save(changed)
    assert caught.value.path == path and load_program(path) == program
    assert library.save(changed, replace=True) == path
    assert load_program(path).description == "changed"
