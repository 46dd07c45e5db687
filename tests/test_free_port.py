"""Free ports for server processes, shared out between parallel test workers."""

from __future__ import annotations

import pytest

from patroli.serve_process import free_port


@pytest.mark.parametrize("share", ["0/2", "1/2", "2/3"])
def test_a_share_hands_out_only_its_own_ports(share: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATROLI_PORT_SHARE", share)
    index, count = (int(part) for part in share.split("/"))
    ports = [free_port() for _ in range(20)]
    assert len(set(ports)) == len(ports)
    assert {port // 2 % count for port in ports} == {index}


def test_no_share_hands_out_distinct_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PATROLI_PORT_SHARE", raising=False)
    ports = [free_port() for _ in range(20)]
    assert len(set(ports)) == len(ports)


@pytest.mark.parametrize(
    ("share", "message"),
    [("half", "must be i/n"), ("1/2/3", "must be i/n"), ("2/2", "below n"), ("-1/2", "below n")],
)
def test_a_malformed_share_is_refused_with_a_sentence(
    share: str, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATROLI_PORT_SHARE", share)
    with pytest.raises(ValueError, match=message):
        free_port()
