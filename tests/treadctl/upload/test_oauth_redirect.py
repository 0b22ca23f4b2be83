"""The local redirect: real HTTP requests to 127.0.0.1, the state checked, nothing else taken."""

from __future__ import annotations

import threading
from urllib.parse import urlencode

import pytest

from tests.treadctl.upload.support import browse
from treadctl.upload import AuthorizationError
from treadctl.upload.oauth_redirect import CANCELLED, Cancellation, Redirect, RedirectCatcher


def test_the_right_state_brings_the_code_back() -> None:
    with RedirectCatcher("good-state") as catcher:
        assert catcher.redirect_uri.startswith("http://127.0.0.1:")
        query = urlencode({"state": "good-state", "code": "abc", "scope": "read,activity:write"})
        status, page = browse(f"{catcher.redirect_uri}?{query}")
        assert status == 200 and "You can close this tab" in page
        assert catcher.wait(5) == Redirect(code="abc", scope="read,activity:write")


def test_a_wrong_state_is_refused_and_the_wait_goes_on() -> None:
    with RedirectCatcher("good-state") as catcher:
        status, page = browse(f"{catcher.redirect_uri}?state=forged&code=attackers-code")
        assert status == 400 and "does not match" in page
        status, _ = browse(f"{catcher.redirect_uri}?code=no-state-at-all")
        assert status == 400
        assert len(catcher.refused) == 2
        browse(f"{catcher.redirect_uri}?state=good-state&code=mine")
        assert catcher.wait(5).code == "mine"
        # Once answered, a later request changes nothing.
        browse(f"{catcher.redirect_uri}?state=good-state&code=late")
        assert catcher.wait(5).code == "mine"


def test_another_path_is_not_the_answer() -> None:
    with RedirectCatcher("s") as catcher:
        base = catcher.redirect_uri.rsplit("/", 2)[0]
        status, _ = browse(f"{base}/favicon.ico?state=s&code=x")
        assert status == 404
        with pytest.raises(AuthorizationError, match="no answer from the browser within"):
            catcher.wait(0.01)


def test_a_person_who_says_no_ends_the_wait() -> None:
    with RedirectCatcher("s") as catcher:
        status, page = browse(f"{catcher.redirect_uri}?state=s&error=access_denied")
        assert status == 200 and "Nothing was connected" in page
        with pytest.raises(AuthorizationError, match="you did not allow it"):
            catcher.wait(5)


def test_the_server_is_gone_after_the_block() -> None:
    with RedirectCatcher("s") as catcher:
        uri = catcher.redirect_uri
    with pytest.raises(OSError):
        browse(f"{uri}?state=s&code=x")


def test_cancel_ends_the_wait_from_another_thread_and_an_early_cancel_counts() -> None:
    cancellation = Cancellation()
    with RedirectCatcher("s") as catcher:
        cancellation.bind(catcher)
        threading.Thread(target=cancellation.cancel).start()
        with pytest.raises(AuthorizationError, match=CANCELLED):
            catcher.wait(5)
        # The browser coming back afterwards changes nothing.
        status, _ = browse(f"{catcher.redirect_uri}?state=s&code=late")
        assert status == 200
        with pytest.raises(AuthorizationError, match=CANCELLED):
            catcher.wait(5)
    early = Cancellation()
    early.cancel()
    with RedirectCatcher("s") as catcher:
        early.bind(catcher)
        with pytest.raises(AuthorizationError, match=CANCELLED):
            catcher.wait(5)


def test_an_answer_received_before_the_cancel_stands() -> None:
    with RedirectCatcher("s") as catcher:
        browse(f"{catcher.redirect_uri}?state=s&code=mine")
        catcher.cancel()
        assert catcher.wait(5).code == "mine"
