"""The management system's reports for spreadsheets and for the meeting.

The management review, the examiner monitoring report and the regulators' aggregated
figures as CSV (read back with the csv module: the byte order mark, CRLF, accents intact,
every figure equal to the JSON's, a scheme title typed as a formula neutralised; the
regulators' file naming no one and withholding small counts), and the management review as
a PDF with charts (read back with pypdf: section titles, figures, every font embedded;
drawn by pdftoppm: every page has ink). Who reads them is who reads the JSON.

Every test runs on SQLite and PostgreSQL through the ``office`` fixture.
"""

from __future__ import annotations

import csv
import io
import subprocess
from datetime import date
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader

from issuer.model import Role
from issuer.store import Store
from tests.backoffice import BackOffice, Json, Member, candidate, exam_body, member, scheme_body
from tests.test_certificate_pdf import _tool
from tests.test_due_jobs import certify, decide, new_scheme
from tests.test_management import TODAY, plan_body, raised
from tests.test_regulator_reports import (
    COMPLAINT_TEXT,
    FINDING_TEXT,
    PERIOD,
    REG,
    _identifiers,
    _seeded,
)

TITLE = "=Schweißaufsicht — Contrôle"
"""A scheme title with accents that a spreadsheet would run as a formula if left alone."""
REVIEW = "/api/v1/reports/management-review"
RANGE = {"from": "2026-11-01", "to": "2026-11-30"}


@pytest.fixture
def regulator(office: BackOffice) -> Member:
    return office.enrol("regulator", Role.REGULATOR)


def _formula_scheme(office: BackOffice) -> Json:
    manager = member(office, "manager")
    scheme: Json = office.ok("POST", "/schemes", manager, scheme_body("SW") | {"title": TITLE})
    examiner = member(office, "examiner").staff_id
    office.ok("POST", f"/staff/{examiner}/approvals", manager, {"scheme_id": scheme["id"]})
    return scheme


def _seed(office: BackOffice) -> None:
    """Two schemes' decisions, a suspension, a finding with its action, a complaint."""
    sw = _formula_scheme(office)
    numbers = [certify(office, sw) for _ in range(3)]
    certify(office, new_scheme(office, "WI"))
    decide(office, numbers[0], "suspend", {"reason": "a report under review"})
    finding = raised(office, severity="minor")
    office.ok(
        "POST",
        f"/findings/{finding['id']}/corrective-action",
        member(office, "admin"),
        plan_body(member(office, "manager")),
    )
    office.ok(
        "POST",
        "/complaints",
        member(office, "registrar"),
        {
            "subject": "body",
            "description": COMPLAINT_TEXT,
            "channel": "email",
            "received_on": TODAY.isoformat(),
        },
    )


def _csv(answer: Any, filename: str) -> list[dict[str, str]]:
    """The rows of a CSV answer, after checking what Excel needs to open it as it is."""
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv; charset=utf-8")
    assert answer.headers["content-disposition"] == f'attachment; filename="{filename}"'
    data: bytes = answer.content
    assert data.startswith(b"\xef\xbb\xbf")  # the byte order mark
    text = data.decode("utf-8")
    assert text.count("\r\n") == text.count("\n")  # every line ends CRLF
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    assert rows
    assert list(rows[0]) == [
        "section",
        "scheme",
        "scheme_title",
        "group",
        "measure",
        "value",
        "unit",
        "period",
        "note",
    ]
    return rows


def _value(text: str) -> int | float | str | None:
    """A cell's value as the JSON has it: empty is null, a number a number, an instant
    (when the oldest change still waiting was queued) its text."""
    if text == "":
        return None
    if "T" in text:
        return text
    return float(text) if "." in text else int(text)


def _rebuilt(rows: list[dict[str, str]]) -> dict[str, Any]:
    """The nested figures the rows stand for, in the JSON's shape."""
    figures: dict[str, Any] = {}
    for row in rows:
        section, measure, value = row["section"], row["measure"], _value(row["value"])
        if section == "certifications":
            figures.setdefault(section, {}).setdefault(row["scheme"], {})[measure] = value
        elif section in ("examiner_flags", "session_flags"):
            figures.setdefault(section, []).append((row["group"], row["scheme"], measure))
        elif row["group"]:
            figures.setdefault(section, {}).setdefault(measure, {})[row["group"]] = value
        else:
            figures.setdefault(section, {})[measure] = value
    return figures


def _without_empties(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_empties(v) for k, v in value.items() if v not in ({}, [])}
    return value


def test_the_management_review_in_csv_has_the_json_figures_one_row_each(
    office: BackOffice,
) -> None:
    _seed(office)
    auditor = member(office, "auditor")
    review = office.ok(
        "GET", f"/reports/management-review?from={RANGE['from']}&to=2026-11-30", auditor
    )
    by_header = office.client.get(
        REVIEW, params=RANGE, headers={**auditor.headers, "Accept": "text/csv"}
    )
    by_query = office.client.get(REVIEW, params={**RANGE, "format": "csv"}, headers=auditor.headers)
    filename = "management-review-2026-11-01-2026-11-30.csv"
    rows = _csv(by_header, filename)
    assert by_query.content == by_header.content
    assert _csv(by_query, filename) == rows

    # the figures are the JSON's, every one of them
    expected = {k: v for k, v in review.items() if k != "period"}
    expected["examiner_flags"] = [
        (e["examiner_id"], e["scheme"], flag)
        for e in review["examiner_flags"]
        for flag in e["flags"]
    ]
    expected["session_flags"] = [
        (s["day"], s["scheme"], flag) for s in review["session_flags"] for flag in s["flags"]
    ]
    assert _without_empties(_rebuilt(rows)) == _without_empties(expected)
    sw = {r["measure"]: r for r in rows if r["section"] == "certifications" and r["scheme"] == "SW"}
    assert (_value(sw["granted"]["value"]), _value(sw["suspended"]["value"])) == (3, 1)

    # the accents arrive intact, the formula as text
    assert sw["granted"]["scheme_title"] == "'" + TITLE
    assert sw["granted"]["unit"] == "decisions"
    assert sw["granted"]["period"] == "2026-11-01/2026-11-30"
    overdue = next(r for r in rows if (r["section"], r["measure"]) == ("findings", "overdue"))
    assert overdue["period"] == review["period"]["as_of"]
    mean = next(r for r in rows if r["measure"] == "mean_days_to_answer")
    assert (mean["value"], mean["unit"], mean["note"]) == ("", "days", "no case in the period")
    assert not any(
        cell.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for cell in r.values()
    )
    assert COMPLAINT_TEXT not in by_header.text
    assert "Moreau" not in by_header.text


def test_the_examiner_report_in_csv_has_each_examiners_figures(office: BackOffice) -> None:
    sw = _formula_scheme(office)
    examiner = member(office, "examiner")
    for i in range(3):
        accepted = candidate(office, sw, ["VT-STEEL"])
        office.ok(
            "POST",
            "/examinations",
            examiner,
            exam_body(
                accepted["id"],
                date(2026, 11, 10),
                result="pass" if i else "fail",
                identity_checked=i != 0,
            ),
        )
    auditor = member(office, "auditor")
    report = office.ok("GET", "/reports/examiners?from=2026-11-01&to=2026-11-30", auditor)
    answer = office.client.get(
        "/api/v1/reports/examiners",
        params={**RANGE, "format": "csv"},
        headers=auditor.headers,
    )
    rows = _csv(answer, "examiner-monitoring-2026-11-01-2026-11-30.csv")
    [figures] = report["examiners"]
    mine = {r["measure"]: r for r in rows if r["section"] == "examiners"}
    assert {r["group"] for r in mine.values()} == {examiner.staff_id}
    for measure in ("held", "pass_rate", "score_mean", "irregularities", "identity_check_failures"):
        assert _value(mine[measure]["value"]) == pytest.approx(figures[measure]), measure
    assert mine["identity-check-failures"]["unit"] == "flag"
    assert mine["pass_rate"]["unit"] == "ratio"
    assert mine["peers_pass_rate"]["note"] == "no case in the period"
    assert mine["held"]["scheme_title"] == "'" + TITLE
    days = {r["group"] for r in rows if r["section"] == "sessions"}
    assert days == {s["day"] for s in report["sessions"]} == {"2026-11-10"}
    # the JSON is unchanged, whatever else the client says it accepts
    html = office.client.get(
        "/api/v1/reports/examiners",
        params=RANGE,
        headers={**auditor.headers, "Accept": "text/html"},
    )
    assert html.json() == report
    assert (
        office.client.get(
            "/api/v1/reports/examiners",
            params=RANGE,
            headers=member(office, "registrar").headers | {"Accept": "text/csv"},
        ).status_code
        == 403
    )


def test_the_regulators_csv_names_no_one_and_withholds_small_counts(
    office: BackOffice, regulator: Member, store: Store
) -> None:
    _seeded(office)
    figures = office.client.get(
        f"{REG}/management-review", params=PERIOD, headers=regulator.headers
    ).json()
    answer = office.client.get(
        f"{REG}/management-review",
        params=PERIOD,
        headers={**regulator.headers, "Accept": "text/csv"},
    )
    rows = _csv(answer, "management-review-2026-11-01-2026-11-30.csv")
    expected = {k: v for k, v in figures.items() if k not in ("period", "withheld_below")}
    assert _without_empties(_rebuilt(rows)) == _without_empties(expected)
    wi = {r["measure"]: r for r in rows if r["section"] == "certifications"}
    assert (wi["granted"]["value"], wi["granted"]["note"]) == ("6", "")
    assert (wi["suspended"]["value"], wi["suspended"]["note"]) == ("", "withheld: fewer than 5")
    for row in rows:
        if row["unit"] == "instant":  # when the oldest change still waiting was queued
            continue
        assert row["value"] == "" or int(float(row["value"])) == 0 or float(row["value"]) >= 5, row
    for secret in (COMPLAINT_TEXT, FINDING_TEXT, *_identifiers(office, store)):
        assert secret not in answer.text, secret
    assert not {r["section"] for r in rows} & {"examiner_flags", "session_flags", "examiners"}
    staff = office.client.get(
        f"{REG}/management-review",
        params={**PERIOD, "format": "csv"},
        headers=member(office, "auditor").headers,
    )
    assert staff.status_code == 403


@pytest.fixture(scope="module")
def pdftoppm() -> str:
    return _tool("pdftoppm", "poppler-utils")


def _fonts_embedded(reader: PdfReader) -> set[str]:
    """The base font of every font on every page, each checked to carry its font file."""
    names: set[str] = set()
    for page in reader.pages:
        resources: Any = page["/Resources"].get_object()
        fonts: Any = resources["/Font"].get_object()
        assert fonts
        for ref in fonts.values():
            font: Any = ref.get_object()
            descriptor = font["/FontDescriptor"].get_object()  # the 14 standard fonts have none
            assert "/FontFile2" in descriptor or "/FontFile3" in descriptor, font["/BaseFont"]
            names.add(str(font["/BaseFont"]))
    return names


def test_the_printed_review_has_each_section_its_figures_and_only_embedded_fonts(
    office: BackOffice, pdftoppm: str
) -> None:
    _seed(office)
    auditor = member(office, "auditor")
    answer = office.client.get(
        REVIEW, params=RANGE, headers={**auditor.headers, "Accept": "application/pdf"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert (
        answer.headers["content-disposition"]
        == 'attachment; filename="management-review-2026-11-01-2026-11-30.pdf"'
    )
    pdf = answer.content
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    body_name = office.client.app.state.services.settings.body_name  # type: ignore[attr-defined]
    assert body_name in reader.pages[0].extract_text()
    assert "For the period 2026-11-01 to 2026-11-30" in text
    for title in (
        "Certifications by scheme",
        "Appeals",
        "Complaints",
        "Impartiality risks",
        "Surveillance",
        "Findings and corrective actions",
        "Examiner monitoring",
    ):
        assert title in text, title
    assert "SW — =Schweißaufsicht — Contrôle 3 0 1 0 0 0 0 0" in text  # granted 3, suspended 1
    assert "received in the period, by subject body: 1" in text
    assert "raised in the period, by severity minor: 1" in text
    assert COMPLAINT_TEXT not in text
    assert "Moreau" not in text
    fonts = _fonts_embedded(reader)
    assert fonts
    assert all("SourceSansPro" in name for name in fonts), fonts
    assert b"/Helvetica" not in pdf
    # drawn: every page has ink, and the chart pages more than a line of text
    for number in range(1, len(reader.pages) + 1):
        png = subprocess.run(
            [
                pdftoppm,
                "-r",
                "40",
                "-png",
                "-gray",
                "-f",
                str(number),
                "-l",
                str(number),
                "-singlefile",
                "-",
            ],
            input=pdf,
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
        image = Image.open(io.BytesIO(png))
        inked = sum(image.histogram()[:200])
        assert inked > 200, f"page {number} is blank"
    assert len(reader.pages) >= 3
    # the same request, the same bytes; and by query
    again = office.client.get(REVIEW, params={**RANGE, "format": "pdf"}, headers=auditor.headers)
    assert again.content == pdf
    refused = office.client.get(
        REVIEW,
        params=RANGE,
        headers={**member(office, "registrar").headers, "Accept": "application/pdf"},
    )
    assert refused.status_code == 403


def test_the_review_answers_json_to_what_it_does_not_offer_and_refuses_an_unknown_format(
    office: BackOffice,
) -> None:
    admin = member(office, "admin")
    plain = office.client.get(REVIEW, params=RANGE, headers=admin.headers).json()
    for accept in ("text/html", "*/*", "text/csv;q=0, application/json", "application/pdf;q=0"):
        answer = office.client.get(
            REVIEW, params=RANGE, headers={**admin.headers, "Accept": accept}
        )
        assert answer.headers["content-type"] == "application/json", accept
        assert answer.json() == plain
    preferred = office.client.get(
        REVIEW,
        params=RANGE,
        headers={**admin.headers, "Accept": "application/json;q=0.5, text/csv"},
    )
    assert preferred.headers["content-type"].startswith("text/csv")
    bad = office.client.get(REVIEW, params={**RANGE, "format": "xlsx"}, headers=admin.headers)
    assert bad.status_code == 422
    assert bad.json()["type"] == "/problems/validation-failed"
    backwards = office.client.get(
        REVIEW,
        params={"from": "2026-11-30", "to": "2026-11-01", "format": "pdf"},
        headers=admin.headers,
    )
    assert backwards.status_code == 422
