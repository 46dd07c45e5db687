"""``python -m bench.field_app`` and ``bench.field_echo`` still run and report (small sizes)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import chromium_missing

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_field_app_bench_reports_every_figure() -> None:
    reason = chromium_missing()
    if reason:
        pytest.skip(reason)
    from bench import field_app

    out = field_app.run(reports=60, listed=20)
    assert out["fresh_install_listed"] == 60
    assert 0 < out["shell_gzip_bytes"] < out["shell_raw_bytes"]
    for name in ("fresh_install_pull_s", "offline_open_ms", "list_render_ms", "list_render_all_ms"):
        assert out[name] >= 0, name


def test_field_echo_bench_downloads_the_pushed_reports_only_without_skip_echo() -> None:
    reason = chromium_missing()
    if reason:
        pytest.skip(reason)
    from bench import field_echo

    out = field_echo.run(reports=12)
    assert out["before"]["pulled"] == 12 and out["after"]["pulled"] == 0
    assert out["after"]["pull_body_bytes"] < out["before"]["pull_body_bytes"]
