"""Readable terminal output for MRZ results (rich renders plain text when not on a terminal)."""

from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from docverify.mrz.validate import label
from docverify.render import advisory_score
from docverify.results import (
    CUT_OFF,
    TIME_LIMIT,
    UNRELIABLE,
    Finding,
    MRZResult,
    Report,
    Severity,
    Verdict,
    mask,
    mask_message,
    mask_name,
    personal_strings,
)

_SEVERITY_STYLE = {Severity.INFO: "cyan", Severity.WARNING: "yellow", Severity.ERROR: "bold red"}
_SEVERITY_MARK = {Severity.INFO: "i", Severity.WARNING: "!", Severity.ERROR: "x"}


def mrz_renderable(result: MRZResult, *, mask_personal_data: bool = False) -> Group:
    """The MRZ result as a rich renderable: verdict line, lines, fields, check digits, findings.
    With ``mask_personal_data``, names, numbers, dates and the MRZ lines are shown as ``*``."""
    secrets = personal_strings(result) if mask_personal_data else []

    def hide(text: str) -> str:
        return mask(text, secrets) if secrets else text

    def digit(value: str) -> str:
        return "*" if mask_personal_data else value

    worst = result.worst_severity
    if not result.valid:
        status = Text("INVALID", style="bold red")
    elif worst is Severity.WARNING:
        status = Text("VALID, with warnings", style="bold yellow")
    else:
        status = Text("VALID", style="bold green")
    head = Text.assemble(
        ("MRZ ", "bold"),
        (result.format.value, "bold"),
        "  ",
        status,
        f"   (reference date {result.reference_date.isoformat()})",
    )
    lines = Text()
    changed = {(c.line, c.column) for c in result.corrections}
    for li, line in enumerate(result.lines):
        lines.append("  ")
        for col, ch in enumerate(hide(line)):
            lines.append(ch, style="bold reverse" if (li, col) in changed else "bold")
        lines.append("\n")
    if result.repaired:
        lines.append("  as read:\n", style="dim")
        lines.append("\n".join("  " + hide(line) for line in result.input_lines), style="dim")
    else:
        lines.rstrip()

    fields = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    fields.add_column("Field")
    fields.add_column("Value")
    f = result.fields
    rows: list[tuple[str, str | None]] = [
        ("Document code", f.document_code),
        ("Issuing state", f.issuing_state),
        ("Document number", f.document_number),
        ("Surname", f.surname),
        ("Given names", f.given_names + (" (may be truncated)" if f.names_truncated else "")),
        ("Nationality", f.nationality),
        ("Birth date", f.birth_date.isoformat() if f.birth_date else f"{f.birth_date_raw} (not a date)"),
        ("Sex", f.sex or "unspecified"),
        (
            "Expiry date",
            None
            if f.expiry_date_raw is None
            else (f.expiry_date.isoformat() if f.expiry_date else f"{f.expiry_date_raw} (not a date)"),
        ),
        ("Optional data", f.optional_data),
        ("Optional data 2", f.optional_data_2),
        *((k.replace("_", " ").capitalize(), v) for k, v in f.extra),
    ]
    for name, value in rows:
        if value is not None:  # Text, not str: a cell's string would be read as rich markup ('[/]' in a name)
            fields.add_row(name, Text(hide(value) if value else "—"))

    checks = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    checks.add_column("Check digit")
    checks.add_column("Printed", justify="center")
    checks.add_column("Computed", justify="center")
    checks.add_column("")
    for c in result.check_digits:
        checks.add_row(
            label(c.name).capitalize(),
            Text(digit(c.printed)),
            Text(digit(c.computed)),
            Text("ok", style="green") if c.ok else Text("MISMATCH", style="bold red"),
        )

    parts: list[Text | Table] = [head, lines, Text(""), fields, Text(""), checks]
    if result.findings:
        parts.append(Text(""))
        parts.append(Text("Findings", style="bold"))
        parts.extend(
            finding_line(
                finding,
                mask_message(finding.message, secrets, located=bool(finding.spans))
                if mask_personal_data
                else finding.message,
            )
            for finding in result.findings
        )
    return Group(*parts)


def finding_line(finding: Finding, message: str) -> Text:
    """One finding as a line of the report: severity mark and word, code, ``message`` (the finding's own,
    masked where asked)."""
    return Text.assemble(
        (f"  {_SEVERITY_MARK[finding.severity]} {finding.severity.value:<7} ", _SEVERITY_STYLE[finding.severity]),
        (finding.code, "bold"),
        "  ",
        message,
    )


def print_mrz(result: MRZResult, console: Console, *, mask_personal_data: bool = False) -> None:
    console.print(mrz_renderable(result, mask_personal_data=mask_personal_data))


CUT_OFF_LINE = "The MRZ runs off the edge of the image, so what was read is incomplete: retake the whole document."
"""Said under the verdict line when an MRZ cut off by the image's edge made the verdict inconclusive."""
UNRELIABLE_LINE = (
    "Its errors may be misreadings (characters read with doubt or left undecided, or values no MRZ prints in "
    "several fields), so they prove nothing: retake the image."
)
"""Said under the verdict line when the reading's errors may all be misreadings (``mrz.read.unreliable``)."""

_VERDICT_STYLE = {"pass": "bold green", "review": "bold yellow", "fail": "bold red", "inconclusive": "bold magenta"}


def print_report(report: Report, console: Console, *, mask_personal_data: bool = False) -> None:
    """A document check: verdict line, then the MRZ (or why there is none)."""
    ms = dict(report.timings_ms).get("total", 0.0)
    score = f"tampering score {report.score:.2f}" if "print" in _checks(report) else "MRZ only, no forgery cues"
    if advisory_score(report.verdict, report.score):
        score += ", from advisory cues only"
    on_page = f", page {report.page + 1} of {report.pages_total}" if report.pages_total > 1 else ""
    source = report.source
    if mask_personal_data and report.mrz is not None:
        source = mask_name(source, personal_strings(report.mrz))
    console.print(
        Text.assemble(
            (report.verdict.value.upper(), _VERDICT_STYLE[report.verdict.value]),
            f"  {source}{on_page}  ({score}, {ms:.0f} ms)",
        )
    )
    codes = {f.code for f in report.findings}
    if CUT_OFF in codes:  # the reason comes first, before the incomplete reading
        console.print(Text(CUT_OFF_LINE, style=_VERDICT_STYLE["inconclusive"]))
    elif report.verdict is Verdict.INCONCLUSIVE and UNRELIABLE in codes and TIME_LIMIT not in codes:
        console.print(Text(UNRELIABLE_LINE, style=_VERDICT_STYLE["inconclusive"]))
    if report.mrz is not None:
        console.print(mrz_renderable(report.mrz, mask_personal_data=mask_personal_data))
    shown = {(f.code, f.message) for f in report.mrz.findings} if report.mrz is not None else set()
    # the document's own findings (forgery cues, time limit, no MRZ, …) after the MRZ's, under the same heading
    others = [f for f in report.findings if (f.code, f.message) not in shown]
    if others and not shown:
        console.print(Text("\nFindings" if report.mrz is not None else "Findings", style="bold"))
    for f in others:
        message = f.message
        if mask_personal_data and report.mrz is not None:
            message = mask_message(f.message, personal_strings(report.mrz), located=bool(f.spans))
        console.print(finding_line(f, message))
    console.print(Text(f"  Not checked: {not_checked(report)}", style="dim"))
    console.print()


def _checks(report: Report) -> tuple[str, ...]:
    """The stages that ran for ``report`` (``engine.checks``; a report without it had the default ones)."""
    return tuple(dict(report.engine).get("checks", ("mrz", "print", "regions")))


def not_checked(report: Report) -> str:
    """What the checks behind ``report`` could not see, in a sentence (from ``engine.checks``)."""
    checks = _checks(report)
    if "print" not in checks:
        return (
            "forgery cues (MRZ only: the MRZ was read and its rules and check digits checked, nothing else); "
            "UV and IR features, watermarks, holograms, the chip."
        )
    seen = ["the MRZ"] + ["the portrait zone", "the visual zone's print"] * ("regions" in checks)
    seen += ["the visual zone's text"] * ("viz" in checks)
    listed = ", ".join(seen[:-1]) + f" and {seen[-1]}" if len(seen) > 1 else seen[0]
    verb = "were" if len(seen) > 1 else "was"
    return f"UV and IR features, watermarks, holograms, the chip; of the visible print, only {listed} {verb} checked."
