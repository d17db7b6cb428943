"""Forgery cues, MRZ print conformity (issue 5): false alarms on genuine documents, detection of
``mrz.wrong_font`` and ``mrz.pitch_anomaly``, ROC-AUC of the underlying scores, and time per image.

    .venv/bin/python benchmarks/bench_forgery.py [--split eval] [--count 300] [--workers 2] [--json OUT]

Generated (**synthetic**) sets of all five formats, written once to
``benchmarks/.data/forgery-<split>-<condition>-<kind>-<count>/`` (git-ignored) with
:func:`docverify.synth.generate`: genuine, ``mrz.wrong_font`` and ``mrz.pitch_anomaly``, as flatbed scans
and phone photos (``--count`` genuine flatbed scans, twice as many genuine phone photos, since fewer of
them read cleanly, and half as many of each forgery). Disjoint seed ranges:

- ``--split calibration`` (seeds from 5100): the thresholds in :class:`docverify.mrz.conformity.Thresholds`
  were chosen on these; the run prints the score quantiles of the genuine documents.
- ``--split eval`` (seeds from 7300, the default): never looked at while developing the check.
- ``--split dev`` (seeds from 9500): a second development set, for checking a change chosen on the calibration
  split before the evaluation split sees it.

Every image goes through :class:`docverify.Verifier` (the visual-zone cross-check switched off where it
exists, so only the MRZ stages run). Per document: was the MRZ read (and read exactly), the verdict, the
verdict without the ``print.mrz.*`` findings (a false alarm is a genuine document that would pass
without them and does not with them), and whether a warning of the right code was raised (``print.mrz.font``
for a wrong font; ``print.mrz.pitch``, ``print.mrz.baseline`` or ``print.mrz.tilt`` for a pitch anomaly, also
counted on the forged line only). Detection counts documents whose MRZ was read, and those read as valid (the stage
assesses only those: with a broken check digit the characters read may be wrong). The underlying scores (lowest OCR-B
similarity of a line; largest run χ² of pitch and baseline) give ROC-AUCs, genuine against forged.
Timing: the ``print`` entry of the report's ``timings_ms`` in a second pass without any recording.
``--specimens`` adds the real images of ``../shared/specimens`` (authenticity findings above info).
``--other-kinds N`` adds N documents of each other forgery kind of the generator per condition (broken and
recomputed check digits, VIZ alteration, portrait substitution, copy-move, reprint), judged by the verdict
alone (not ``pass`` = detected at the operating point, by whatever cue; the opt-in visual-zone cross-check
stays off). ``mrz.wrong_font`` draws from the monospace fonts installed when a set is first generated.
Each row also records the report ``score`` and the region models' cues (``portrait.substitution``,
``print.reprint``; advisory info by default): per other kind, how many documents each cue flags, and the
score's ROC-AUC against the genuine set of the same condition with the detection at its 1 % false-alarm
threshold. Timing covers the authenticity stages together (``print`` + ``regions`` + ``viz``).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import math
import statistics
import sys
from collections.abc import Sequence
from multiprocessing import Pool
from pathlib import Path
from typing import Any

from docverify.tamper import MODELS
from machine import machine

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / ".data"
SPECIMENS = ROOT.parent / "shared" / "specimens"
REF = dt.date(2026, 1, 1)
SEEDS = {"calibration": 5100, "eval": 7300, "dev": 9500}
CONDITIONS = ("flatbed", "phone")
KINDS = ("genuine", "mrz.wrong_font", "mrz.pitch_anomaly")
OTHER_KINDS = (
    "mrz.broken_check_digit",
    "mrz.recomputed",
    "viz.altered",
    "portrait.substituted",
    "copy_move",
    "reprint",
)
"""With ``--other-kinds``: the generator's other forgeries, judged only by the verdict (detected = not
``pass``, whatever the cue): where docverify stands on each of issue 5's detection floors."""
RIGHT_CODES = {
    "mrz.wrong_font": ("print.mrz.font",),
    "mrz.pitch_anomaly": ("print.mrz.pitch", "print.mrz.baseline", "print.mrz.tilt"),
}
TARGET_FALSE_ALARMS = {"flatbed": 0.01, "phone": 0.03}
REGION_CUES = tuple(m.code for m in MODELS.values())
"""The region models' cues (advisory info by default; warnings with ``VerifierConfig.region_warnings``)."""


def dataset(split: str, condition: str, kind: str, count: int, *, index: int | None = None) -> Path:
    """The folder of one generated set (generated on first use); ``index``: the kind's place in the seed
    scheme (default: its place in :data:`KINDS`; under 10)."""
    from docverify.synth import generate, is_current

    seed = SEEDS[split] + 10 * CONDITIONS.index(condition) + (KINDS.index(kind) if index is None else index)
    out = DATA / f"forgery-{split}-{condition}-{kind}-{count}"
    if not is_current(out):  # missing, or made by an older revision of the generator
        generate(out, count, seed=seed, conditions=(condition,), forgeries=() if kind == "genuine" else (kind,))
    return out


VIZ: list[str | None] = [None]
"""``--viz``: the visual-zone cross-check off, or read by ``model`` / ``tesseract`` (None: the library's default)."""
_state: dict[str, Any] = {}
"""Per worker process: the Verifier and, when recording, the stage's last assessment."""


def _init(record: bool, viz: str | None = None) -> None:
    """Worker set-up: one Verifier; with ``record``, the stage's measurements are kept for the scores."""
    from docverify import pipeline
    from docverify.mrz import conformity

    fields = {f.name for f in dataclasses.fields(pipeline.VerifierConfig)}
    extra: dict[str, Any] = {}
    if viz is not None and "cross_check_viz" in fields:
        extra["cross_check_viz"] = viz != "off"
        if viz != "off":
            extra["viz_reader"] = viz
    _state["verifier"] = pipeline.Verifier(config=pipeline.VerifierConfig(reference_date=REF, **extra))
    if record:

        def recording(crops: Any, lines: Any, centres: Any, **kw: Any) -> Any:
            _state["assessment"] = conformity.assess(crops, lines, centres)
            return conformity.check_print(crops, lines, centres, **kw)

        pipeline.check_print = recording  # type: ignore[attr-defined]


def _one(item: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    """Check one image: verdicts, print findings and (when recording) the underlying scores."""
    from docverify.mrz.conformity import STAGE
    from docverify.pipeline import decide_verdict

    path, truth = item
    _state.pop("assessment", None)
    report = _state["verifier"].verify(path)
    ours = [f for f in report.findings if f.stage == STAGE]
    others = [f for f in report.findings if f.stage != STAGE]
    forgery = truth["forgeries"][0] if truth["forgeries"] else None
    row: dict[str, Any] = {
        "file": Path(path).name,
        "format": truth["format"],
        "read": report.mrz is not None,
        "valid": report.mrz is not None and report.mrz.valid,
        "exact": report.mrz is not None and list(report.mrz.lines) == list(truth["mrz_lines"]),
        "verdict": report.verdict.value,
        "verdict_without": decide_verdict(report.mrz, others).value,
        "findings": [(f.code, f.severity.value, [s.to_dict() for s in f.spans], bool(f.box)) for f in ours],
        "print_ms": dict(report.timings_ms).get("print"),
        "score": report.score,
        "region_cues": [f.code for f in report.findings if f.code in REGION_CUES],
        "codes": [f.code for f in report.findings if f.severity.value != "info"],
        "forgery": forgery["params"] if forgery else None,
    }
    a = _state.get("assessment")
    if a is not None:
        row["font"] = min(a.font)
        row["font_lines"] = [[float(f), float(b)] for f, b in zip(a.font, a.blur, strict=True)]
        row["font_model"] = max(a.font_model)
        row["font_model_lines"] = [float(v) for v in a.font_model]
        row["runs"] = max((r.chi2 for r in (a.pitch, a.baseline) if r is not None), default=0.0)
        row["runs_effect"] = {
            name: (r.chi2, r.effect, r.line, r.start, r.end)
            for name, r in (("pitch", a.pitch), ("baseline", a.baseline))
            if r is not None
        }
        row["spacing"] = list(a.spacing)
        row["cap_px"] = a.cap_px
    return row


def run_set(folder: Path, workers: int, *, record: bool) -> list[dict[str, Any]]:
    from docverify.synth import load_ground_truth

    items = [(str(folder / t.file), t.to_dict()) for t in load_ground_truth(folder)]
    with Pool(workers, initializer=_init, initargs=(record, VIZ[0])) as pool:
        return pool.map(_one, items, chunksize=4)


def _warned(row: dict[str, Any], codes: Sequence[str], *, on_run: bool = False) -> bool:
    for code, severity, spans, _ in row["findings"]:
        if code not in codes or severity != "warning":
            continue
        if not on_run:
            return True
        f = row["forgery"]
        if code == "print.mrz.font":
            line = f.get("lines", "all")
            if line == "all" or any(s["line"] == int(line) - 1 for s in spans):
                return True
        elif any(_overlaps(s, f) for s in spans):
            return True
    return False


def _overlaps(span: dict[str, int], forgery: dict[str, Any]) -> bool:
    """Whether a finding's span meets the run a pitch anomaly reprinted."""
    end = forgery["start"] + forgery["length"]
    return bool(span["line"] == forgery["line"] and span["start"] < end and span["end"] > forgery["start"])


def auc(negatives: Sequence[float], positives: Sequence[float]) -> float | None:
    """Probability that a forged document scores higher than a genuine one (ties count half)."""
    if not negatives or not positives:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def summarise(rows: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    read = [r for r in rows if r["read"]]
    valid = [r for r in read if r["valid"]]
    out: dict[str, Any] = {
        "images": len(rows),
        "read": len(read),
        "read_valid": len(valid),
        "read_exactly": sum(r["exact"] for r in rows),
    }
    if kind == "genuine":
        passing = [r for r in read if r["verdict_without"] == "pass"]
        alarms = [r for r in passing if r["verdict"] != "pass"]
        out["pass_without_print"] = len(passing)
        out["false_alarms"] = len(alarms)
        out["false_alarm_rate"] = round(len(alarms) / len(passing), 4) if passing else None
        out["any_print_warning"] = sum(any(s == "warning" for _, s, _, _ in r["findings"]) for r in read)
        out["any_print_info"] = sum(any(s == "info" for _, s, _, _ in r["findings"]) for r in read)
        out["alarm_files"] = [r["file"] for r in alarms]
        # issue 5's false-alarm floor counts every genuine document whose verdict is not pass, whatever the
        # cause (not read, misread, a repair warning, a print finding)
        out["not_pass_any"] = sum(r["verdict"] != "pass" for r in rows)
        out["not_pass_any_rate"] = round(out["not_pass_any"] / len(rows), 4) if rows else None
        causes: dict[str, int] = {}
        for r in rows:
            if r["verdict"] != "pass":
                for code in set(r["codes"]) or {"(not read)"}:
                    causes[code] = causes.get(code, 0) + 1
        out["not_pass_codes"] = dict(sorted(causes.items(), key=lambda kv: -kv[1])[:8])
        # the region models' cues are advisory (info) by default: how many genuine documents they flag
        out["region_cue"] = cue_counts(rows)
        out["not_pass_or_region_cue"] = sum(r["verdict"] != "pass" or bool(r["region_cues"]) for r in rows)
    else:
        codes = RIGHT_CODES[kind]
        hits = [r for r in read if _warned(r, codes)]
        located = [r for r in read if _warned(r, codes, on_run=True)]
        out["detected"] = len(hits)
        out["detection_rate"] = round(len(hits) / len(read), 4) if read else None
        out["detection_rate_valid"] = round(sum(r["valid"] for r in hits) / len(valid), 4) if valid else None
        out["detected_on_forged_line"] = len(located)
        out["detected_read_exactly"] = sum(r["exact"] for r in hits)
        out["not_pass"] = sum(r["verdict"] != "pass" for r in read)
        out["missed_files"] = [r["file"] for r in read if r not in hits]
    return out


def verdicts(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """A forged set judged by the verdict alone: how many end not ``pass`` (of all images, and of those whose
    MRZ was read), and the finding codes (warning or error) seen most on them."""
    read = [r for r in rows if r["read"]]
    codes: dict[str, int] = {}
    for r in rows:
        for code in set(r["codes"]):
            codes[code] = codes.get(code, 0) + 1
    return {
        "images": len(rows),
        "read": len(read),
        "region_cue": cue_counts(rows),
        "not_pass": sum(r["verdict"] != "pass" for r in rows),
        "not_pass_rate": round(sum(r["verdict"] != "pass" for r in rows) / len(rows), 4) if rows else None,
        "not_pass_of_read": round(sum(r["verdict"] != "pass" for r in read) / len(read), 4) if read else None,
        "top_codes": dict(sorted(codes.items(), key=lambda kv: -kv[1])[:6]),
    }


def cue_counts(rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """How many of ``rows`` each region model's cue flags."""
    return {c: sum(c in r["region_cues"] for r in rows) for c in REGION_CUES}


def by_score(genuine: Sequence[float], forged: Sequence[float]) -> dict[str, Any]:
    """The report ``score`` as a detector: ROC-AUC against the genuine set of the same condition, and the
    share of forged documents scoring above the genuine set's 99th percentile (detection at 1 % false
    alarms; ties at the threshold do not count)."""
    if not genuine or not forged:
        return {}
    threshold = sorted(genuine)[min(len(genuine) - 1, math.ceil(0.99 * len(genuine)) - 1)]
    value = auc(genuine, forged)
    return {
        "score_auc": None if value is None else round(value, 4),
        "score_threshold_1pct": threshold,
        "detected_at_1pct": round(sum(v > threshold for v in forged) / len(forged), 4),
    }


def timing(folders: Sequence[Path], per_set: int) -> dict[str, float]:
    """Median and p95 of the authenticity stages' own time (``timings_ms`` print + regions + viz), one
    process, no recording."""
    from docverify.synth import load_ground_truth

    _init(record=False, viz=VIZ[0])
    values = []
    for folder in folders:
        for truth in load_ground_truth(folder)[:per_set]:
            t = dict(_state["verifier"].verify(str(folder / truth.file)).timings_ms)
            if "print" in t:
                values.append(sum(t.get(k, 0.0) for k in ("print", "regions", "viz")))
    values.sort()
    if not values:
        return {"images": 0}
    return {
        "images": len(values),
        "median_ms": round(statistics.median(values), 2),
        "p95_ms": round(values[min(len(values) - 1, int(0.95 * len(values)))], 2),
        "max_ms": round(values[-1], 2),
    }


def specimens() -> dict[str, Any]:
    """The real specimen images: how many have an authenticity finding above info (any stage)."""
    from docverify.results import Category, Severity

    truth = json.loads((SPECIMENS / "ground_truth.json").read_text())
    _init(record=False, viz=VIZ[0])
    rows = []
    for rec in truth:
        report = _state["verifier"].verify(str(SPECIMENS / "images" / rec["file"]))
        ours = [f for f in report.findings if f.category is Category.AUTHENTICITY]
        above = [f.code for f in ours if f.severity.rank > Severity.INFO.rank]
        rows.append(
            {
                "region_cues": [f.code for f in ours if f.code in REGION_CUES],
                "file": rec["file"],
                "read": report.mrz is not None,
                "verdict": report.verdict.value,
                "score": report.score,
                "above_info": above,
                "info": [f.code for f in ours if f.severity is Severity.INFO],
            }
        )
    flagged = [r for r in rows if r["above_info"]]
    return {
        "images": len(rows),
        "read": sum(r["read"] for r in rows),
        "with_print_warning": len(flagged),
        "clean_share": round(1 - len(flagged) / len(rows), 4),
        "flagged": {r["file"]: r["above_info"] for r in flagged},
        "with_info_only": sum(bool(r["info"]) and not r["above_info"] for r in rows),
        "verdicts": {v: sum(r["verdict"] == v for r in rows) for v in ("pass", "review", "fail", "inconclusive")},
        "with_region_cue": {r["file"]: r["region_cues"] for r in rows if r["region_cues"]},
    }


def quantiles(values: Sequence[float], qs: Sequence[float]) -> list[float]:
    ordered = sorted(v for v in values if not math.isnan(v))
    if not ordered:
        return []
    return [round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3) for q in qs]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", choices=sorted(SEEDS), default="eval")
    ap.add_argument("--count", type=int, default=300, help="genuine flatbed documents (phone: twice; forged: half)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--timing", type=int, default=40, help="images per set timed in the second pass")
    ap.add_argument("--specimens", action="store_true", help="also check ../shared/specimens")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--other-kinds", type=int, default=0, metavar="N", help="also N of each other forgery kind")
    ap.add_argument(
        "--viz", choices=("off", "model", "tesseract"), default=None,
        help="the visual-zone cross-check (default: as VerifierConfig has it)",
    )  # fmt: skip
    args = ap.parse_args()
    if args.specimens and not (SPECIMENS / "ground_truth.json").exists():
        ap.error(f"--specimens: {SPECIMENS / 'ground_truth.json'} not found (../shared beside the repository)")
    VIZ[0] = args.viz

    result: dict[str, Any] = {"machine": machine(), "split": args.split, "viz": args.viz, "sets": {}, "auc": {}}
    rows_by: dict[tuple[str, str], list[dict[str, Any]]] = {}
    folders = []
    for condition in CONDITIONS:
        for kind in KINDS:
            count = max(1, args.count // 2) if kind != "genuine" else args.count * (2 if condition == "phone" else 1)
            folder = dataset(args.split, condition, kind, count)
            folders.append(folder)
            rows = run_set(folder, args.workers, record=True)
            rows_by[(condition, kind)] = rows
            summary = summarise(rows, kind)
            result["sets"][f"{condition} {kind}"] = summary
            brief = {k: v for k, v in summary.items() if not k.endswith("files")}
            print(f"{condition:8s} {kind:18s} {json.dumps(brief)}", flush=True)
        genuine = [r for r in rows_by[(condition, "genuine")] if r["read"] and "font" in r]
        scored = (("mrz.wrong_font", "font"), ("mrz.wrong_font", "font_model"), ("mrz.pitch_anomaly", "runs"))
        for kind, score in scored:
            forged = [r for r in rows_by[(condition, kind)] if r["read"] and score in r]
            sign = -1.0 if score == "font" else 1.0
            value = auc([sign * r[score] for r in genuine], [sign * r[score] for r in forged])
            key = f"{condition} {kind}" + (" font_model" if score == "font_model" else "")
            result["auc"][key] = None if value is None else round(value, 4)
            print(f"{condition:8s} {kind:18s} ROC-AUC of {score}: {result['auc'][key]}")
        passing = [r for r in genuine if r["verdict_without"] == "pass"]
        qs, qs_hi = (0.0, 0.01, 0.03, 0.05, 0.5), (0.5, 0.95, 0.97, 0.99, 1.0)
        font_q, runs_q = quantiles([r["font"] for r in passing], qs), quantiles([r["runs"] for r in passing], qs_hi)
        print(f"{condition:8s} genuine, pass without print: font quantiles {qs}: {font_q}")
        print(f"{condition:8s} genuine, pass without print: run chi2 quantiles {qs_hi}: {runs_q}")
    if args.other_kinds:
        result["other_kinds"] = {}
        for condition in CONDITIONS:
            for index, kind in enumerate(OTHER_KINDS):
                folder = dataset(args.split, condition, kind, args.other_kinds, index=len(KINDS) + index)
                rows = run_set(folder, args.workers, record=False)
                rows_by[(condition, kind)] = rows
                summary = verdicts(rows)
                summary |= by_score([r["score"] for r in rows_by[(condition, "genuine")]], [r["score"] for r in rows])
                result["other_kinds"][f"{condition} {kind}"] = summary
                print(f"{condition:8s} {kind:22s} {json.dumps(summary)}", flush=True)
    result["timing"] = timing(folders, args.timing)
    print(f"authenticity stages (print + regions + viz) time per image: {json.dumps(result['timing'])}")
    if args.specimens:
        result["specimens"] = specimens()
        print(f"specimens: {json.dumps(result['specimens'])}")
    print(f"machine: {result['machine']}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        per_set = {f"{c} {k}": v for (c, k), v in rows_by.items()}
        args.json.write_text(json.dumps({"result": result, "rows": per_set}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
