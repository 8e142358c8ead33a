"""Transparency reports for people and spreadsheets: hand-written SVG charts, HTML, CSV (formula-safe), JSON.

`charts(report)` returns the SVGs by name; the portal embeds them as they are (they carry their own titles).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from html import escape
from typing import Any

from klean.bootstrap import App
from klean.domain.transparency import SOURCES, TDB_FIELDS, flat_rows

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "|", "%")

LABELS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "title": "Transparency report", "period": "Period", "policy": "Policy version",
        "time_to_action": "Time from notice to action", "weekly": "Actions per week", "sources": "Actions by source",
        "cases": "cases", "median": "median", "p90": "90th percentile", "hours": "hours",
        "blocked": "blocked before going live", "removed": "taken down after", "restored": "restored",
        "listings": "Listings", "screened": "screened", "by_signal": "By signal", "by_brand": "By brand",
        "by_category": "By category", "notices": "Rights-holder notices", "counter": "Counter-notices",
        "received": "received", "cases_opened": "cases opened (one per listing named)",
        "appeals": "Appeals and complaints", "refunds": "Refunds", "test_buys": "Test buys", "sellers": "Sellers",
        "filed": "filed", "reversed": "reversed", "upheld": "upheld", "maintained": "maintained",
        "reversal_rate": "reversal rate", "claimed": "claimed", "approved": "approved", "paid": "paid",
        "paid_amount": "amount paid", "verdicts": "verdicts", "fake": "fake", "hit_rate": "hit rate",
        "warned": "warned", "restricted": "restricted", "suspended": "suspended", "count": "count",
        "none": "none", "source": "source",
        "proactive_screening": "proactive screening", "rights_holder_notice": "rights-holder notice",
        "trusted_lane": "trusted lane", "consumer_report": "consumer report", "test_buy": "test buy",
        "other": "other", "consumer_reports": "Consumer reports", "actioned": "listing taken down",
        "no_action": "no action needed", "rejected": "refused", "sent_to_review": "sent to review",
        "without_claim": "refunded without a claim (confirmed fake)",
    },
    "ko": {
        "title": "투명성 보고서", "period": "기간", "policy": "정책 버전",
        "time_to_action": "신고부터 조치까지 걸린 시간", "weekly": "주별 조치 건수", "sources": "경로별 조치 건수",
        "cases": "건", "median": "중앙값", "p90": "90번째 백분위수", "hours": "시간",
        "blocked": "게시 전 차단", "removed": "게시 후 삭제", "restored": "복원",
        "listings": "게시물", "screened": "심사", "by_signal": "신호별", "by_brand": "브랜드별",
        "by_category": "카테고리별", "notices": "권리자 신고", "counter": "반론 통지",
        "received": "접수", "cases_opened": "개시된 사건(게시물별)",
        "appeals": "이의 제기 및 불복", "refunds": "환불", "test_buys": "테스트 구매", "sellers": "판매자",
        "filed": "접수", "reversed": "번복", "upheld": "유지", "maintained": "유지",
        "reversal_rate": "번복률", "claimed": "신청", "approved": "승인", "paid": "지급",
        "paid_amount": "지급액", "verdicts": "판정", "fake": "위조품", "hit_rate": "적발률",
        "warned": "경고", "restricted": "제한", "suspended": "정지", "count": "건수",
        "none": "없음", "source": "경로",
        "proactive_screening": "사전 심사", "rights_holder_notice": "권리자 신고",
        "trusted_lane": "신뢰 신고자", "consumer_report": "소비자 신고", "test_buy": "테스트 구매",
        "other": "기타", "consumer_reports": "소비자 신고", "actioned": "게시물 삭제",
        "no_action": "조치 불필요", "rejected": "거절", "sent_to_review": "검토로 보냄",
        "without_claim": "신청 없이 환불(위조품 확인)",
    },
}

# Time-to-action buckets (domain.transparency.TTA_BUCKETS names them in English with h/d) and ISO weeks
# (2026-W49) as a Korean reader writes them; other languages keep the compact form.
BUCKETS: Mapping[str, Mapping[str, str]] = {
    "ko": {"< 1 h": "1시간 미만", "1-4 h": "1~4시간", "4-24 h": "4~24시간", "1-3 d": "1~3일", "3-7 d": "3~7일",
           "> 7 d": "7일 초과"},
}
WEEK_FORMAT: Mapping[str, str] = {"ko": "{year}년 {week}주차"}


def week_label(week: object, lang: str) -> str:
    """An ISO week (2026-W49) as `lang` writes it (2026년 49주차); anything else as it is."""
    text = str(week)
    year, sep, number = text.partition("-W")
    if not sep or not year.isdigit() or not number.isdigit() or lang not in WEEK_FORMAT:
        return text
    return WEEK_FORMAT[lang].format(year=year, week=int(number))


# ---- CSV ----------------------------------------------------------------------------------------------


def safe_cell(value: object) -> str:
    """A cell a spreadsheet will not run: text starting with = + - @ tab CR (OWASP) gets a leading quote."""
    text = "" if value is None else value if isinstance(value, str) else json.dumps(value, ensure_ascii=False) \
        if isinstance(value, list | dict) else str(value)
    if text.startswith(_FORMULA_START):
        try:
            float(text)
        except ValueError:
            return "'" + text
    return text


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    for r in rows:
        w.writerow([safe_cell(c) for c in r])
    return buf.getvalue()


def report_csv(report: Mapping[str, Any]) -> str:
    return _csv(["metric", "value"], flat_rows(report))


def statements_csv(records: Sequence[Mapping[str, Any]]) -> str:
    columns = [*TDB_FIELDS, "redress"]
    return _csv(columns, ([r.get(c) for c in columns] for r in records))


def report_json(report: Mapping[str, Any]) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2, sort_keys=False)


# ---- SVG charts ---------------------------------------------------------------------------------------

_W, _H, _PAD = 640, 260, 44
_COLOURS = {"blocked": "#1f77b4", "removed": "#d62728", "restored": "#2ca02c"}


def _svg(title: str, body: str, width: int = _W, height: int = _H) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">'
            f'<title>{escape(title)}</title><desc>{escape(title)}</desc>'
            f'<text x="{width / 2:.0f}" y="16" text-anchor="middle" font-size="13">{escape(title)}</text>'
            f"{body}</svg>")


def _bars(title: str, items: Sequence[tuple[str, float]], unit: str = "") -> str:
    """Vertical bars with their values written on them (the numbers matter more than the shapes)."""
    n = max(1, len(items))
    top = max([v for _, v in items] + [1])
    plot_w, plot_h = _W - 2 * _PAD, _H - 2 * _PAD
    step = plot_w / n
    parts = [f'<line x1="{_PAD}" y1="{_H - _PAD}" x2="{_W - _PAD}" y2="{_H - _PAD}" stroke="#333"/>']
    for i, (label, value) in enumerate(items):
        h = plot_h * value / top
        x = _PAD + i * step + step * 0.15
        y = _H - _PAD - h
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" fill="#1f77b4">'
                     f"<title>{escape(label)}: {value:g}{unit}</title></rect>")
        parts.append(f'<text x="{x + step * 0.35:.1f}" y="{y - 4:.1f}" text-anchor="middle">{value:g}</text>')
        parts.append(f'<text x="{x + step * 0.35:.1f}" y="{_H - _PAD + 14}" text-anchor="middle">'
                     f"{escape(label)}</text>")
    return _svg(title, "".join(parts))


def _weekly(title: str, weeks: Sequence[Mapping[str, Any]], L: Mapping[str, str], lang: str = "en") -> str:
    series = ("blocked", "removed", "restored")
    n = max(1, len(weeks))
    top = max([int(w.get(s, 0)) for w in weeks for s in series] + [1])
    plot_w, plot_h = _W - 2 * _PAD, _H - 2 * _PAD - 16
    step = plot_w / n
    parts = [f'<line x1="{_PAD}" y1="{_H - _PAD}" x2="{_W - _PAD}" y2="{_H - _PAD}" stroke="#333"/>']
    for i, w in enumerate(weeks):
        week = escape(week_label(w["week"], lang))
        for j, s in enumerate(series):
            value = int(w.get(s, 0))
            h = plot_h * value / top
            x = _PAD + i * step + step * (0.1 + 0.27 * j)
            parts.append(f'<rect x="{x:.1f}" y="{_H - _PAD - h:.1f}" width="{step * 0.25:.1f}" height="{h:.1f}" '
                         f'fill="{_COLOURS[s]}"><title>{week} {escape(L[s])}: {value}</title>'
                         f"</rect>")
        parts.append(f'<text x="{_PAD + (i + 0.5) * step:.1f}" y="{_H - _PAD + 14}" text-anchor="middle">'
                     f'{week}</text>')
    for j, s in enumerate(series):  # legend
        parts.append(f'<rect x="{_PAD + j * 190}" y="26" width="10" height="10" fill="{_COLOURS[s]}"/>'
                     f'<text x="{_PAD + j * 190 + 14}" y="35">{escape(L[s])}</text>')
    return _svg(title, "".join(parts))


def charts(report: Mapping[str, Any], lang: str = "en") -> dict[str, str]:
    """The report's charts as standalone SVG documents: time_to_action, weekly_trend, sources."""
    L = LABELS.get(lang, LABELS["en"])
    tta = report["time_to_action_hours"]
    buckets = BUCKETS.get(lang, {})
    hist = [(buckets.get(str(b["bucket"]), str(b["bucket"])), float(b["count"])) for b in tta["histogram"]]
    by_source = report["by_source"]
    sources = [(L[s], float(by_source[s]["blocked_before_live"] + by_source[s]["taken_down_after"]))
               for s in SOURCES if s in by_source]
    return {
        "time_to_action": _bars(f'{L["time_to_action"]} ({tta["cases"]} {L["cases"]})', hist),
        "weekly_trend": _weekly(L["weekly"], report["weekly"], L, lang),
        "sources": _bars(L["sources"], sources),
    }


# ---- HTML ---------------------------------------------------------------------------------------------


def _table(rows: Iterable[tuple[object, object]], L: Mapping[str, str]) -> str:
    body = "".join(f"<tr><th>{escape(str(L.get(str(k), k)))}</th><td>{escape('' if v is None else str(v))}</td></tr>"
                   for k, v in rows)
    return f"<table>{body or '<tr><td>' + escape(L['none']) + '</td></tr>'}</table>"


def report_html(report: Mapping[str, Any], lang: str = "en") -> str:
    L = LABELS.get(lang, LABELS["en"])
    svgs = charts(report, lang)
    tta = report["time_to_action_hours"]
    p = report["period"]
    sections = [
        f'<h2>{escape(L["listings"])}</h2>' + _table(
            [("screened", report["listings"]["screened"]), ("blocked", report["listings"]["blocked_before_live"]),
             ("removed", report["listings"]["taken_down_after"]), ("restored", report["listings"]["restored"])], L),
        f'<h2>{escape(L["sources"])}</h2>' + svgs["sources"] + "<table><tr><th>" + escape(L["source"])
        + "</th><th>" + escape(L["blocked"]) + "</th><th>" + escape(L["removed"]) + "</th></tr>"
        + "".join(f"<tr><td>{escape(L[s])}</td><td>{v['blocked_before_live']}</td><td>{v['taken_down_after']}</td></tr>"
                  for s, v in report["by_source"].items()) + "</table>",
        f'<h2>{escape(L["time_to_action"])}</h2>' + svgs["time_to_action"] + _table(
            [("cases", tta["cases"]), ("median", f'{tta["median"]} {L["hours"]}' if tta["median"] is not None
                                       else None),
             ("p90", f'{tta["p90"]} {L["hours"]}' if tta["p90"] is not None else None)], L),
        f'<h2>{escape(L["weekly"])}</h2>' + svgs["weekly_trend"],
        f'<h2>{escape(L["by_signal"])}</h2>' + _table(report["by_signal"].items(), L),
        f'<h2>{escape(L["by_brand"])}</h2>' + _table(report["by_brand"].items(), L),
        f'<h2>{escape(L["by_category"])}</h2>' + _table(report["by_category"].items(), L),
        f'<h2>{escape(L["notices"])}</h2>' + _table(report["notices"].items(), L),
        f'<h2>{escape(L["counter"])}</h2>' + _table(report["counter_notices"].items(),
                                                    {**L, "restored": L["reversed"]}),
        f'<h2>{escape(L["appeals"])}</h2>' + _table(report["appeals"].items(), L),
        f'<h2>{escape(L["consumer_reports"])}</h2>' + _table(report["consumer_reports"].items(), L),
        f'<h2>{escape(L["refunds"])}</h2>' + _table(report["refunds"].items(), L),
        f'<h2>{escape(L["test_buys"])}</h2>' + _table(
            [(k, v) for k, v in report["test_buys"].items() if k != "by_verdict"], L),
        f'<h2>{escape(L["sellers"])}</h2>' + _table(report["sellers"].items(), L),
    ]
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            f'<title>{escape(L["title"])} {escape(p["from"])} – {escape(p["to"])}</title>'
            "<style>body{font-family:sans-serif;margin:2em;max-width:60em}table{border-collapse:collapse;"
            "margin:.5em 0 1.5em}th,td{border:1px solid #bbb;padding:.25em .6em;text-align:left}"
            "svg{max-width:100%;height:auto}</style></head><body>"
            f'<h1>{escape(L["title"])}</h1><p>{escape(L["period"])}: {escape(p["from"])} – {escape(p["to"])} '
            f'({escape(str(p.get("timezone", "UTC")))}) · {escape(L["policy"])}: '
            f'{escape(str(report.get("policy_version") or L["none"]))}</p>'
            + "".join(f"<section>{s}</section>" for s in sections) + "</body></html>")


def for_period(app: App, start: date, end: date, lang: str = "en") -> tuple[dict[str, Any], dict[str, str]]:
    """The report and its chart SVGs for a public page (cached until the event log grows)."""
    from klean.services import transparency as service

    report = service.transparency_report(uow=app.uow_factory(), start=start, end=end,
                                         policy_version=app.policy.version,
                                         cache=app.extras.setdefault("transparency_reports", {}))
    return report, charts(report, lang)
