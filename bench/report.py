"""Benchmark results: ratios to the limits, the issue's targets, JSON and Markdown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

#: (key in a backend's results, label, unit)
MEASURES = [
    ("push_100", "push, new reports, batches of 100", "reports/s"),
    ("push_500", "push, new reports, batches of 500", "reports/s"),
    ("edit", "edit existing reports (half merged)", "ops/s"),
    ("pull_full", "pull from cursor 0 (gzip)", "reports/s"),
    ("pull_full_identity", "pull from cursor 0 (no gzip)", "reports/s"),
    ("pull_incremental", "pull, incremental (gzip)", "reports/s"),
]
LIMITS = [("storage_floor", "storage floor"), ("pipeline", "pipeline limit")]
BACKEND_NAMES = {"sqlite": "SQLite (WAL)", "postgresql": "PostgreSQL"}


def ratios(backend: dict[str, Any]) -> None:
    """Add each measure's ratio to both limits of its backend, in place."""
    for key, _, _ in MEASURES:
        if key in backend:
            for limit, _ in LIMITS:
                rate = backend["limits"][limit]["per_s"]
                backend[key][f"vs_{limit}"] = round(backend[key]["per_s"] / rate, 3)


def _gzip_shares(b: dict[str, Any]) -> dict[str, float]:
    """gzip'd over raw bytes for each way data travels."""
    push, pull = b["push_500"], b["pull_full"]
    return {
        "push request": push["up_gzip_bytes_per_item"] / push["up_raw_bytes_per_item"],
        "push response": push["down_wire_bytes_per_item"] / push["down_raw_bytes_per_item"],
        "pull response": pull["down_wire_bytes_per_item"] / pull["down_raw_bytes_per_item"],
    }


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets, each with the measured value and whether it is met."""
    out = []

    def check(name: str, value: float, goal: str, ok: bool) -> None:
        """Record one target."""
        out.append({"target": name, "value": value, "goal": goal, "met": ok})

    sqlite = results["backends"].get("sqlite")
    if sqlite:
        push = sqlite["push_500"]["per_s"]
        check("SQLite push, batches of 500", push, ">= 10000 reports/s", push >= 10_000)
        share = sqlite["push_500"]["vs_pipeline"]
        check("SQLite push / pipeline limit", share, ">= 0.60", share >= 0.6)
        pull = sqlite["pull_full"]["per_s"]
        check("SQLite pull from cursor 0", pull, ">= 30000 reports/s", pull >= 30_000)
        for what, share in _gzip_shares(sqlite).items():
            check(f"gzip'd / raw bytes, {what}", round(share, 3), "<= 0.40", share <= 0.4)
    pg = results["backends"].get("postgresql")
    if pg and sqlite:
        share = pg["push_500"]["per_s"] / sqlite["push_500"]["per_s"]
        check(
            f"PostgreSQL ({pg['server']['workers']} processes) push / SQLite push",
            round(share, 3),
            ">= 0.70",
            share >= 0.7,
        )
    device = (sqlite or {}).get("device", {})
    initial, pushed = device.get("initial_sync_100k"), device.get("device_push_10k")
    if initial:
        ok = initial["seconds"] < 10 and initial["peak_rss_mib"] < 200
        label = f"device: initial sync of {initial['reports']:,} reports (s)"
        check(label, initial["seconds"], "< 10 s, client < 200 MB", ok)
    if pushed:
        label = f"device: push of {pushed['reports']:,} pending reports"
        check(label, pushed["per_s"], ">= 9000 reports/s", pushed["per_s"] >= 9_000)
    return out


def _device_lines(b: dict[str, Any]) -> list[str]:
    """The device-side figures as Markdown table rows."""
    rows = []
    for key, label in (
        ("initial_sync_100k", "initial sync of a fresh device store"),
        ("device_push_10k", "device pushes its pending reports"),
    ):
        f = b.get("device", {}).get(key)
        if f:
            rows.append(
                f"| {label} | {f['reports']:,} | {f['seconds']:.2f} | {f['per_s']:,} | "
                f"{f['peak_rss_mib']} |"
            )
    if not rows:
        return []
    return [
        "`patroli field sync` in a child process, against the same server:",
        "",
        "| device measure | reports | seconds | reports/s | client peak RSS MiB |",
        "| --- | ---: | ---: | ---: | ---: |",
        *rows,
        "",
    ]


def _fmt(value: float | None) -> str:
    """A figure for a table cell."""
    if value is None:
        return "–"
    if isinstance(value, float) and value < 10:
        return f"{value:.2f}"
    return f"{value:,.0f}"


def markdown(results: dict[str, Any]) -> str:
    """The results as Markdown: machine, figures with ratios, bytes, targets."""
    m = results["machine"]
    lines = [
        f"# Benchmark results ({results['started_at']})",
        "",
        f"Machine: {m['nproc']} CPUs ({m['cpu']}), {m['ram_gib']} GiB RAM, {m['os']}; "
        f"Python {m['python']}, SQLite {m['sqlite']}"
        + (f", PostgreSQL {m['postgresql']}" if m.get("postgresql") else "")
        + ".",
        f"Command: `{results['command']}`",
        "",
    ]
    for name, b in results["backends"].items():
        s = b["server"]
        floor, pipe = b["limits"]["storage_floor"]["per_s"], b["limits"]["pipeline"]["per_s"]
        lines += [
            f"## {BACKEND_NAMES.get(name, name)}: {s['workers']} server process(es) × "
            f"{s['threads']} threads, {s['clients']} pushing clients",
            "",
            "| measure | rate | unit | × storage floor | × pipeline limit | server CPU µs each |",
            "| --- | ---: | --- | ---: | ---: | ---: |",
        ]
        for key, label, unit in MEASURES:
            r = b[key]
            lines.append(
                f"| {label} | {_fmt(r['per_s'])} | {unit} | "
                f"{r['vs_storage_floor']:.2f} | {r['vs_pipeline']:.2f} | "
                f"{_fmt(r.get('server_cpu_us_per_item'))} |"
            )
        lines += [
            f"| storage floor (same records, one table, one transaction) | {_fmt(floor)} | "
            "records/s | 1.00 | – | – |",
            f"| pipeline limit (parse + validate + store, no HTTP) | {_fmt(pipe)} | "
            "records/s | – | 1.00 | – |",
            "",
            "| bytes per report | raw JSON | gzip | share |",
            "| --- | ---: | ---: | ---: |",
        ]
        push, pull = b["push_500"], b["pull_full"]
        for label, raw, packed in (
            (
                "push request (device → server)",
                push["up_raw_bytes_per_item"],
                push["up_gzip_bytes_per_item"],
            ),
            (
                "push response (server → device)",
                push["down_raw_bytes_per_item"],
                push["down_wire_bytes_per_item"],
            ),
            (
                "pull response (server → device)",
                pull["down_raw_bytes_per_item"],
                pull["down_wire_bytes_per_item"],
            ),
        ):
            lines.append(f"| {label} | {raw:,.0f} | {packed:,.0f} | {packed / raw:.0%} |")
        rss = b["server_peak_rss"]
        lines += [
            "",
            f"Server peak RSS: {rss['max_worker_mib']} MiB per worker "
            f"(workers: {rss['worker_mib']}).",
            "",
            *_device_lines(b),
        ]
    lines += [
        "## Targets (issue 7)",
        "",
        "| target | measured | goal | met |",
        "| --- | ---: | --- | --- |",
    ]
    for t in results["targets"]:
        met = "yes" if t["met"] else "**no**"
        lines.append(f"| {t['target']} | {_fmt(t['value'])} | {t['goal']} | {met} |")
    if results.get("kinto"):
        k = results["kinto"]
        lines += [
            "",
            "## Kinto comparison (memory backend, 1 process, same records)",
            "",
            "| measure | Kinto | Patroli | Patroli / Kinto |",
            "| --- | ---: | ---: | ---: |",
            f"| push, batches of {k['batch']} (reports/s) | {_fmt(k['push_per_s'])} | "
            f"{_fmt(k['patroli_push_per_s'])} | {k['push_ratio']:.2f} |",
            f"| pull from the start (reports/s) | {_fmt(k['pull_per_s'])} | "
            f"{_fmt(k['patroli_pull_per_s'])} | {k['pull_ratio']:.2f} |",
        ]
    return "\n".join(lines) + "\n"


def console(results: dict[str, Any]) -> str:
    """A short plain-text summary for the terminal."""
    out = []
    for name, b in results["backends"].items():
        out.append(f"{BACKEND_NAMES.get(name, name)}:")
        for key, label, unit in MEASURES:
            r = b[key]
            out.append(
                f"  {label:42s} {r['per_s']:>9,} {unit:9s} "
                f"x{r['vs_storage_floor']:.2f} floor  x{r['vs_pipeline']:.2f} pipeline  "
                f"{r.get('server_cpu_us_per_item')} us server CPU each"
            )
        for limit, label in LIMITS:
            out.append(f"  {label:42s} {b['limits'][limit]['per_s']:>9,} records/s")
        for key, f in b.get("device", {}).items():
            if f:
                out.append(
                    f"  device {key}: {f['reports']:,} reports in {f['seconds']:.2f} s "
                    f"({f['per_s']:,}/s), client peak RSS {f['peak_rss_mib']} MiB"
                )
    if results.get("kinto"):
        k = results["kinto"]
        out.append(
            f"Kinto (memory): push {k['push_per_s']:,}/s, pull {k['pull_per_s']:,}/s; "
            f"Patroli over Kinto: push x{k['push_ratio']}, pull x{k['pull_ratio']}"
        )
    for t in results["targets"]:
        met = "ok" if t["met"] else "MISSED"
        out.append(f"  target {t['target']}: {_fmt(t['value'])} ({t['goal']}) {met}")
    return "\n".join(out)


def write(results: dict[str, Any], directory: Path) -> tuple[Path, Path]:
    """Write ``<timestamp>.json`` and ``latest.md``; their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = results["started_at"].replace(":", "").replace("-", "")
    json_path = directory / f"{stamp}.json"
    json_path.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    md_path = directory / "latest.md"
    md_path.write_text(markdown(results))
    return json_path, md_path
