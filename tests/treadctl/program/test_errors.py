"""ProgramError: it survives pickling with every field."""

from __future__ import annotations

import pickle

from tests.treadctl.program.examples import _errors


def test_program_error_pickles() -> None:
    err = _errors('name = "x"\n[[steps]]\nrest = 1\nduration = "1 min"\n')
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.file, copy.step, copy.field, copy.expected, copy.found) == (
        err.file,
        err.step,
        err.field,
        err.expected,
        err.found,
    )
    assert str(copy) == str(err)
