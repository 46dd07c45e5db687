"""The field app's sync is echo-free: what it pushed is not downloaded again.

Real Chromium, the app's own store and sync engine, a real server. After a
push the app holds, for every report it pushed, exactly the document the
server serves; a review or another device's edit still comes back.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.browser import field_driver as F
from tests.browser.seed import enroll
from tests.live import LiveServer, live_server
from tests.world import incident

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

#: Reports the app records before syncing: one through the form, one with
#: every element map, the rest patrols.
REPORTS = 40
SHA = "ef" * 32
RICH = incident(
    title="Boat with a car on the landing",
    vehicles={"v1": {"type": "car", "registration": "KB 1234 XY"}},
    actions={"a1": {"type": "referred", "note": "to the shelter"}},
)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    """A running server (SQLite) with post NNK and two officers."""
    with live_server(tmp_path, "sqlite", {"NNK": ["ofc.nnk.1", "ofc.nnk.2"]}) as live:
        yield live


def _served(server: LiveServer, headers: dict[str, str], report_id: str) -> dict[str, Any]:
    resp = requests.get(f"{server.url}/api/v1/reports/{report_id}", headers=headers, timeout=10)
    resp.raise_for_status()
    return resp.json()["report"]


def _create(driver: Any, kind: str, fields: dict[str, Any]) -> str:
    """Record a report through the app's store; return its id."""
    return driver.execute_async_script(
        "const [kind, fields, done] = arguments;"
        "import('/field/js/store.js').then(async (m) => "
        "  done(await (await m.Store.open()).create(kind, fields)));",
        kind,
        fields,
    )


def _assert_held_as_served(
    driver: Any, server: LiveServer, headers: dict[str, str], ids: list[str]
) -> None:
    for report_id in ids:
        served = _served(server, headers, report_id)
        row = F.store_row(driver, report_id)
        assert row["acked"] == served, report_id
        assert row["doc"] == served and row["acked_rev"] == served["rev"], report_id


def test_pushed_reports_are_not_downloaded_again_and_equal_the_servers(
    browser: Any, server: LiveServer
) -> None:
    F.enroll_by_link(browser, server)
    F.record(browser, "patrol", "Patrol by the form", {"route": "East ridge path"})
    rich = _create(browser, "incident", {k: v for k, v in RICH.items() if k != "kind"})
    F.inject_patrols(browser, REPORTS - 2)
    ids = F.store_summary(browser)["ids"]
    assert len(ids) == REPORTS and rich in ids

    pushed = F.sync_counted(browser)
    assert pushed["result"]["complete"] is True, str(pushed["result"])
    assert pushed["result"]["pushed"] == REPORTS and pushed["result"]["pulled"] == 0, pushed
    assert pushed["pulls"] == 1
    commander = server.auth_headers("cmd.nnk")
    _assert_held_as_served(browser, server, commander, ids)
    assert F.store_row(browser, rich)["acked"]["vehicles"] == RICH["vehicles"]

    # A commander reviews one, another officer's device edits another.
    reviewed, edited = ids[0], ids[1]
    rev = _served(server, commander, reviewed)["rev"]
    answer = requests.post(
        f"{server.url}/api/v1/reports/{reviewed}/review",
        json={"status": "needs_info", "note": "Which boat?", "rev": rev},
        headers=commander,
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    other = enroll(server, "ofc.nnk.2")
    base = _served(server, commander, edited)["rev"]
    assert other.push(edited, {"narrative": "seen from the ridge"}, base)["status"] == "applied"

    again = F.sync_counted(browser)
    assert again["result"]["complete"] is True and again["result"]["pushed"] == 0, again
    assert again["result"]["pulled"] == 2, again
    _assert_held_as_served(browser, server, commander, ids)
    assert F.store_row(browser, reviewed)["doc"]["review"]["note"] == "Which boat?"
    assert F.store_row(browser, edited)["doc"]["narrative"] == "seen from the ridge"
    assert F.store_summary(browser)["states"] == ["sent"]


#: The app's sync with a link that carries the first push, lets the officer
#: edit the report before its answer is taken in, then drops.
_EDIT_IN_FLIGHT = """
const [id, done] = arguments;
Promise.all([import('/field/js/store.js'), import('/field/js/sync.js'),
             import('/field/js/transport.js')]).then(async ([S, Y, T]) => {
  const store = await S.Store.open();
  const link = new T.Transport({ token: (await store.device()).token, attempts: 1 });
  let pushes = 0;
  const transport = { request: async (method, path, body) => {
    if (path !== '/api/v1/sync/push') return link.request(method, path, body);
    pushes += 1;
    if (pushes > 1) throw new T.TransportError('the link dropped');
    const answer = await link.request(method, path, body);
    await store.edit(id, { narrative: 'typed while it was sent' });
    return answer;
  } };
  done(await Y.sync(store, { transport }));
}).catch((e) => done({ error: String(e) }));
"""


def test_an_edit_typed_while_its_report_was_sent_stays_on_top(
    browser: Any, server: LiveServer
) -> None:
    F.enroll_by_link(browser, server)
    report_id = _create(
        browser,
        "patrol",
        {"title": "Night patrol", "occurred_at": "2026-11-20T05:00:00+08:00", "route": "A"},
    )
    browser.set_script_timeout(120)
    cut = browser.execute_async_script(_EDIT_IN_FLIGHT, report_id)
    assert cut.get("pushed") == 1 and cut["complete"] is False, cut
    commander = server.auth_headers("cmd.nnk")
    served = _served(server, commander, report_id)
    assert served["rev"] == 1 and served["narrative"] is None
    row = F.store_row(browser, report_id)
    assert row["acked"] == served and row["acked_rev"] == 1
    assert row["doc"] == {**served, "narrative": "typed while it was sent"}
    assert F.store_summary(browser)["counts"]["pending"] == 1

    # The edit's op was based on no copy: the server merges it, the pull brings it.
    done = F.sync_counted(browser)
    assert done["result"]["complete"] is True and done["result"]["pulled"] == 1, done
    _assert_held_as_served(browser, server, commander, [report_id])
    assert F.store_row(browser, report_id)["doc"]["narrative"] == "typed while it was sent"
