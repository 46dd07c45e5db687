"""Redirect targets stay on the site and never break the response; ``?lang=`` holds
through the redirect to the sign-in page and through sign-in."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.web.pages import csrf_token, post_form, sign_in
from tests.world import PASSWORD, World

NASTY = [
    "/queue\r\nSet-Cookie: x=1",
    "/queue\nX-Injected: 1",
    "/queue\rX-Injected: 1",
    "/queue\t/x",
    "/queue\x01",
    "/\x7f",
    "//evil.example/x",
    "/\\evil.example",
    "/\\/evil.example",
    "\\\\evil.example",
    "https://evil.example/",
    "http:/evil.example",
    "javascript:alert(1)",
    " //evil.example",
    "queue",
]


def _assert_safe(resp: Any, location: str) -> None:
    """A redirect to ``location`` with no header smuggled in."""
    assert resp.status_code == 302
    assert resp.headers["Location"] == location
    assert "X-Injected" not in resp.headers
    assert not any("x=1" in h for h in resp.headers.getlist("Set-Cookie"))


@pytest.mark.parametrize("target", NASTY)
def test_sign_in_with_a_nasty_next_goes_home(world: World, target: str) -> None:
    """A valid sign-in whose next= is off-site or carries control characters lands on
    the role's start page (before: a 500 for CR/LF)."""
    client = world.app.test_client()
    token = csrf_token(client.get("/sign-in").get_data(as_text=True))
    resp = client.post(
        "/sign-in",
        data={"username": "cmd.nnk", "password": PASSWORD, "next": target, "csrf_token": token},
    )
    _assert_safe(resp, "/queue")


@pytest.mark.parametrize("target", NASTY)
def test_language_switch_with_a_nasty_next_goes_home(world: World, target: str) -> None:
    """The language switch takes the language and returns to / for a bad next=."""
    client = world.app.test_client()
    resp = post_form(client, "/sign-in", "/language", {"lang": "en", "next": target})
    _assert_safe(resp, "/")
    assert _lang(client.get("/sign-in")) == "en"


def test_good_targets_are_kept_and_the_switch_drops_an_old_lang(world: World) -> None:
    """A path on the site is followed; the switch removes ``lang=`` from where it returns,
    or that old choice would undo the new one."""
    client = world.app.test_client()
    token = csrf_token(client.get("/sign-in").get_data(as_text=True))
    resp = client.post(
        "/sign-in",
        data={
            "username": "cmd.nnk",
            "password": PASSWORD,
            "next": "/queue?status=approved",
            "csrf_token": token,
        },
    )
    _assert_safe(resp, "/queue?status=approved")
    resp = post_form(
        client, "/queue", "/language", {"lang": "id", "next": "/queue?lang=en&status=approved"}
    )
    _assert_safe(resp, "/queue?status=approved")
    assert _lang(client.get(resp.headers["Location"])) == "id"


_HTML_LANG = re.compile(r'<html lang="([a-z]+)">')


def _lang(resp: Any) -> str:
    """The language a page was rendered in."""
    assert resp.status_code == 200
    match = _HTML_LANG.search(resp.get_data(as_text=True))
    assert match
    return match.group(1)


def _follow(client: FlaskClient, url: str) -> Any:
    """GET ``url`` and follow redirects on the site (at most five)."""
    resp = client.get(url)
    for _ in range(5):
        if resp.status_code != 302:
            return resp
        resp = client.get(resp.headers["Location"])
    raise AssertionError(f"{url} redirects more than five times")


@pytest.mark.parametrize("start", ["/?lang=en", "/queue?lang=en", "/devices?lang=en"])
def test_lang_in_the_url_holds_through_sign_in(world: World, start: str) -> None:
    """Signed out, ``?lang=en`` on any page gives an English sign-in page, and the pages
    after signing in stay English."""
    client = world.app.test_client()
    page = _follow(client, start)
    assert page.request.path == "/sign-in"
    assert _lang(page) == "en" and "Sign in" in page.get_data(as_text=True)
    resp = sign_in(client, "cmd.nnk")
    assert resp.status_code == 302
    assert _lang(_follow(client, resp.headers["Location"])) == "en"
    assert _lang(client.get("/conflicts")) == "en"


def test_lang_in_the_url_switches_a_signed_in_session(world: World) -> None:
    """Signed in, ``?lang=`` switches the language for the following pages as well."""
    client = world.app.test_client()
    sign_in(client, "cmd.nnk")
    assert _lang(client.get("/queue")) == "id"
    assert _lang(_follow(client, "/?lang=en")) == "en"
    assert _lang(client.get("/devices")) == "en"
    assert _lang(client.get("/devices?lang=id")) == "id"
    assert _lang(client.get("/queue")) == "id"
