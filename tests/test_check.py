"""`docverify check` and the Verifier end to end, on the bundled (synthetic) samples and bad input."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from docverify import SCHEMA_VERSION, ExitCode, read_mrz
from docverify.cli import main
from docverify.pipeline import Verifier, VerifierConfig, decide_verdict
from docverify.results import Category, Finding, MRZFormat, Severity, Verdict
from docverify.synth.dataset import synthesize

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "images"
TD3 = SAMPLES / "td3_flatbed.jpg"
TRUTH = {
    json.loads(line)["file"]: json.loads(line) for line in (SAMPLES / "ground_truth.jsonl").read_text().splitlines()
}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_check_reads_the_bundled_passport_sample() -> None:
    code, out, _ = run("check", "--json", "--reference-date", "2026-01-01", str(TD3))
    doc = json.loads(out)
    assert doc["schema_version"] == SCHEMA_VERSION
    assert doc["source"].endswith("td3_flatbed.jpg")
    assert doc["mrz"]["lines"] == TRUTH["td3_flatbed.jpg"]["mrz_lines"]
    assert doc["mrz"]["format"] == "TD3" and doc["mrz"]["valid"] is True
    assert len(doc["mrz"]["polygon"]) == 4
    assert doc["verdict"] in ("pass", "review") and 0.0 <= doc["score"] <= 1.0
    assert (doc["score"] >= 0.5) == any(
        f["category"] in ("integrity", "authenticity") and f["severity"] != "info" for f in doc["findings"]
    )
    assert {"load", "mrz", "total"} <= set(doc["timings_ms"])
    assert code == (ExitCode.OK if doc["verdict"] == "pass" else ExitCode.REVIEW)


def test_check_reads_an_image_piped_to_standard_input(tmp_path: Path) -> None:
    """`docverify check -` judges the bytes on standard input as it would the file; '-' at most once, never from
    a terminal; an empty or oversized input is an unreadable one (exit 3, an error row)."""
    data = TD3.read_bytes()
    piped = CliRunner().invoke(main, ["check", "--json", "--reference-date", "2026-01-01", "-"], input=data)
    _, from_file, _ = run("check", "--json", "--reference-date", "2026-01-01", str(TD3))
    doc, expected = json.loads(piped.stdout), json.loads(from_file)
    assert doc["source"] == "stdin"
    assert doc["mrz"] == expected["mrz"] and doc["verdict"] == expected["verdict"]
    assert piped.exit_code == (ExitCode.OK if doc["verdict"] == "pass" else ExitCode.REVIEW)
    out = tmp_path / "evidence"
    both = CliRunner().invoke(main, ["check", "--annotate", str(out), "-", str(TD3)], input=data)
    assert both.exit_code in (ExitCode.OK, ExitCode.REVIEW) and both.stdout.count("Not checked") == 2
    assert sorted(p.name for p in out.iterdir()) == ["stdin.png", "td3_flatbed.png"]
    empty = CliRunner().invoke(main, ["check", "--json", "-"], input=b"")
    assert empty.exit_code == ExitCode.UNREADABLE
    assert json.loads(empty.stdout)["source"] == "stdin" and "empty" in json.loads(empty.stdout)["error"]["message"]
    huge = CliRunner().invoke(main, ["check", "--json", "-"], input=b"\xff\xd8" + bytes(60 * 2**20))
    assert huge.exit_code == ExitCode.UNREADABLE and "stdin is over the limit" in huge.stderr
    twice = CliRunner().invoke(main, ["check", "-", "-"], input=data)
    assert twice.exit_code == ExitCode.USAGE and "once" in twice.stderr


def test_a_multipage_file_is_named_alike_by_check_and_batch(tmp_path: Path) -> None:
    """A document on the second page of a TIFF: ``source`` is the file's name in `check --json` and in `batch`
    alike (the page judged is in ``page``), and the readable output says which page."""
    from PIL import Image

    doc = Image.open(TD3).convert("RGB")
    tiff = tmp_path / "scan.tif"
    Image.new("RGB", doc.size, "white").save(tiff, save_all=True, append_images=[doc], compression="tiff_deflate")
    _, out, _ = run("check", "--json", "--reference-date", "2026-01-01", str(tiff))
    row = json.loads(out)
    assert (row["source"], row["page"], row["pages_total"]) == (str(tiff), 1, 2)
    assert row["mrz"]["lines"] == TRUTH["td3_flatbed.jpg"]["mrz_lines"]
    _, text, _ = run("check", "--reference-date", "2026-01-01", str(tiff))
    assert f"{tiff}, page 2 of 2" in text
    rows = tmp_path / "rows.jsonl"
    run("batch", str(tiff), "--jsonl", str(rows), "--workers", "1", "--no-progress", "--reference-date", "2026-01-01")
    batch_row = json.loads(rows.read_text())
    assert (batch_row["source"], batch_row["page"]) == (row["source"], row["page"])


@pytest.mark.parametrize("orientation", [2, 5])
def test_a_mirrored_image_is_read_flipped_back(orientation: int) -> None:
    """A file whose EXIF orientation mirrors it (2: left–right; 5: transposed) shows the MRZ backwards: it is read
    from the image flipped back, says so (info), and its boxes lie where the MRZ is in the image as given —
    the mirror image of where they lie on the upright file. The MRZ-only check reads it the same."""
    from PIL import Image

    exif = Image.Exif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    Image.open(TD3).save(buf, "JPEG", quality=92, exif=exif.tobytes())
    ref = dt.date(2026, 1, 1)
    upright = Verifier(config=VerifierConfig(reference_date=ref)).verify(TD3)
    assert "image.mirrored" not in {f.code for f in upright.findings}
    for config in (VerifierConfig(reference_date=ref), VerifierConfig(reference_date=ref, mrz_only=True)):
        report = Verifier(config=config).verify(buf.getvalue(), name="mirrored.jpg")
        assert report.mrz is not None and report.mrz.valid
        assert list(report.mrz.lines) == TRUTH["td3_flatbed.jpg"]["mrz_lines"]
        assert report.verdict is upright.verdict
        assert "image.mirrored" in {f.code for f in report.findings}
        w, h = report.image_size
        if orientation == 2:  # the same picture mirrored: x ↦ w − x
            expected = np.array([(w - x, y) for x, y in upright.mrz_polygon])
        else:  # transposed: (x, y) ↦ (y, x)
            expected = np.array([(y, x) for x, y in upright.mrz_polygon])
        assert np.abs(np.array(report.mrz_polygon) - expected).max() < 0.02 * max(w, h)


def test_check_text_output_and_annotation(tmp_path: Path) -> None:
    out_png = tmp_path / "evidence.png"
    code, out, _ = run("check", "--reference-date", "2026-01-01", "--annotate", str(out_png), str(TD3))
    assert code in (ExitCode.OK, ExitCode.REVIEW)
    assert "td3_flatbed.jpg" in out and "Not checked" in out
    img = cv2.imread(str(out_png))
    assert img is not None and img.shape[0] > cv2.imread(str(TD3)).shape[0]  # legend appended


def test_annotate_never_overwrites_an_input_and_gives_each_image_its_own_file(tmp_path: Path) -> None:
    """--annotate onto an input (the same file, or the input's own name in the output folder) is refused before
    anything is checked; a target that is no PNG path or empty is a usage error, not an internal one; images
    whose names share a stem get distinct files; an existing folder works for one image too."""
    doc = tmp_path / "doc.png"
    doc.write_bytes(cv2.imencode(".png", cv2.imread(str(TD3)))[1].tobytes())
    before = doc.read_bytes()
    for args in (
        ("--annotate", str(doc), str(doc)),
        ("--annotate", str(tmp_path), str(doc), str(TD3)),
        ("--annotate", str(tmp_path / "out.txt"), str(TD3)),
        ("--annotate", "", str(TD3)),
    ):
        code, _, _ = run("check", *args)
        assert code == ExitCode.USAGE, args
    assert doc.read_bytes() == before
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for sub in ("a", "b"):
        (tmp_path / sub / "scan.jpg").write_bytes(TD3.read_bytes())
    code, _, _ = run("check", "--annotate", str(tmp_path / "out"), str(tmp_path / "a" / "scan.jpg"),
                     str(tmp_path / "b" / "scan.jpg"))  # fmt: skip
    assert code in (ExitCode.OK, ExitCode.REVIEW)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["scan-2.png", "scan.png"]
    code, _, _ = run("check", "--annotate", str(tmp_path / "out"), str(TD3))
    assert (tmp_path / "out" / "td3_flatbed.png").exists()


def test_text_output_lists_the_documents_own_findings_under_the_findings_heading(tmp_path: Path) -> None:
    """Findings that are not the MRZ's (here: no MRZ at all) get the same heading and marks as the MRZ's."""
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((300, 400, 3), 255, np.uint8))
    code, out, _ = run("check", str(blank))
    assert code == ExitCode.UNREADABLE
    lines = out.splitlines()
    heading = lines.index("Findings")
    assert lines[heading + 1].startswith("  ! warning image.mrz.not_found  No machine readable zone")


def test_text_output_has_one_findings_heading_whoever_found_what() -> None:
    """A read MRZ without findings of its own: the report's findings get the heading; with MRZ findings too,
    they follow under the MRZ's heading, not a second one. A pass with a high score says where it comes from."""
    import dataclasses
    import io

    from rich.console import Console

    from docverify.render.text import print_report
    from docverify.results import Category, Finding, Report, Severity

    report = Verifier(config=VerifierConfig(reference_date=dt.date(2026, 1, 1))).verify(TD3)
    assert report.mrz is not None
    cue = Finding("print.mrz.pitch", Severity.INFO, Category.AUTHENTICITY, "a run off the pitch", "print")
    mrz_own = Finding("mrz.sex.unspecified", Severity.INFO, Category.VALIDITY, "no sex given", "mrz")

    def text(r: Report) -> list[str]:
        out = io.StringIO()
        print_report(r, Console(file=out, width=200, color_system=None))
        return out.getvalue().splitlines()

    assert report.verdict is Verdict.PASS and report.score < 0.5
    assert "advisory" not in text(report)[0]
    # a pass with a high score comes only from an advisory model cue (info): the first line says so
    assert "(tampering score 0.74, from advisory cues only, " in text(dataclasses.replace(report, score=0.74))[0]
    alone = text(dataclasses.replace(report, mrz=dataclasses.replace(report.mrz, findings=()), findings=(cue,)))
    assert alone.count("Findings") == 1
    assert alone[alone.index("Findings") + 1] == "  i info    print.mrz.pitch  a run off the pitch"
    both = text(
        dataclasses.replace(report, mrz=dataclasses.replace(report.mrz, findings=(mrz_own,)), findings=(mrz_own, cue))
    )
    assert both.count("Findings") == 1
    start = both.index("Findings")
    assert both[start + 1 : start + 3] == [
        "  i info    mrz.sex.unspecified  no sex given",
        "  i info    print.mrz.pitch  a run off the pitch",
    ]


def test_several_images_give_json_lines_and_the_worst_exit_code(tmp_path: Path) -> None:
    bad = tmp_path / "notes.jpg"
    bad.write_text("this is not an image")
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((200, 300, 3), 255, np.uint8))
    code, out, err = run("check", "--json", "--reference-date", "2026-01-01", str(TD3), str(bad), str(blank))
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 3  # every input gets a row
    assert rows[1]["error"]["kind"] == "input" and "notes.jpg" in rows[1]["source"]
    assert rows[2]["verdict"] == "inconclusive" and rows[2]["mrz"] is None
    assert rows[2]["findings"][0]["code"] == "image.mrz.not_found"
    assert code == ExitCode.UNREADABLE  # worse than pass/review, better than fail
    assert "Traceback" not in err and "notes.jpg" in err


def test_missing_file_and_usage_errors() -> None:
    code, _, err = run("check", "/nonexistent/scan.jpg")
    assert code == ExitCode.UNREADABLE and "docverify: error:" in err
    code, _, _ = run("check")
    assert code == ExitCode.USAGE
    code, _, _ = run("check", "--reference-date", "2026-02-30", str(TD3))
    assert code == ExitCode.USAGE


def test_verifier_api_and_verdict_rules() -> None:
    verifier = Verifier(config=VerifierConfig(reference_date=__import__("datetime").date(2026, 1, 1)))
    img = cv2.cvtColor(cv2.imread(str(TD3)), cv2.COLOR_BGR2RGB)
    report = verifier.verify(img, name="array")
    assert report.mrz is not None and report.mrz.valid
    assert report.image_size == (img.shape[1], img.shape[0])
    assert decide_verdict(None, ()) is Verdict.INCONCLUSIVE
    assert decide_verdict(report.mrz, ()) is Verdict.PASS


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_bundled_samples_have_their_mrz_located(name: str) -> None:
    """Every committed sample has its MRZ found and read as some layout with the right line count
    (reading accuracy per capture condition is measured in benchmarks/)."""
    verifier = Verifier(config=VerifierConfig(reference_date=__import__("datetime").date(2026, 1, 1)))
    report = verifier.verify(SAMPLES / name)
    assert report.mrz is not None, name
    assert len(report.mrz.lines) == len(TRUTH[name]["mrz_lines"])
    assert len(report.mrz_polygon) == 4


def test_masking_removes_every_personal_value_but_keeps_the_decision() -> None:
    truth = TRUTH["td3_flatbed.jpg"]
    code, out, _ = run("check", "--json", "--mask-personal-data", "--reference-date", "2026-01-01", str(TD3))
    plain_code, plain, _ = run("check", "--json", "--reference-date", "2026-01-01", str(TD3))
    masked, clear = json.loads(out), json.loads(plain)
    assert code == plain_code and masked["verdict"] == clear["verdict"]
    assert [f["code"] for f in masked["findings"]] == [f["code"] for f in clear["findings"]]
    fields = clear["mrz"]["fields"]
    secrets = [fields["surname"], fields["document_number"], fields["birth_date"], *truth["mrz_lines"]]
    for secret in secrets:
        assert secret in plain
        assert secret not in out, secret
    assert set(masked["mrz"]["fields"]["surname"]) == {"*"}
    assert masked["mrz"]["fields"]["issuing_state"] == fields["issuing_state"]
    code, text, _ = run("check", "--mask-personal-data", "--reference-date", "2026-01-01", str(TD3))
    assert fields["surname"] not in text and fields["document_number"] not in text and "PASS" in text


def test_reports_record_how_they_were_made() -> None:
    import docverify
    from docverify.mrz.recognizer import model_hashes

    ref = __import__("datetime").date(2026, 1, 1)
    report = docverify.verify(TD3.read_bytes(), reference_date=ref, name="upload")
    engine = report.to_dict()["engine"]
    assert engine["docverify"] == docverify.__version__
    assert engine["reference_date"] == "2026-01-01" and engine["ocr"] == "docverify"
    assert engine["models"] == model_hashes() and len(engine["models"]["mrz_char"]) == 64
    assert engine["limits"]["max_pixels"] == docverify.Limits().max_pixels
    assert report.source == "upload" and report.pages_total == 1
    assert docverify.verify(TD3, reference_date=ref).to_dict()["mrz"] == report.to_dict()["mrz"]
    with pytest.raises(ValueError, match="ocr"):
        docverify.verify(TD3, ocr="easyocr")


def test_masking_hides_the_single_characters_a_reading_names() -> None:
    """A reading with a corrected character, a doubtful one and a failing check digit: masked, no character of
    the document is left with its position (corrections, check digits, characters quoted in findings on MRZ
    characters), while the codes, positions and the verdict stay; unmasked, they are all there."""
    from rich.console import Console

    from docverify.render.text import print_report
    from docverify.results import MRZ_CHARACTER_EVIDENCE, QUOTED_CHARACTER, Report, Verdict, mask_report_dict

    lines = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO74O8122F1204159ZE184226B<<<<<15")
    alts = [[[(ch, 1.0)] for ch in line] for line in lines]
    alts[0][20] = [("M", 0.5), ("N", 0.45)]  # a name letter read with doubt
    mrz = read_mrz(lines, reference_date=dt.date(2010, 1, 1), alternatives=alts)
    assert mrz.corrections and not mrz.valid
    report = Report("x.jpg", 0, Verdict.FAIL, 0.9, mrz, (), mrz.findings, (), (100, 100))
    clear, masked = report.to_dict(), report.to_dict(mask_personal_data=True)
    assert [c["from"] for c in clear["mrz"]["corrections"]] == ["O"]
    assert [(c["from"], c["to"]) for c in masked["mrz"]["corrections"]] == [("*", "*")]
    assert {c["printed"] for c in masked["mrz"]["check_digits"]} == {"*"}
    positions = [c["position"] for c in clear["mrz"]["check_digits"]]
    assert [c["position"] for c in masked["mrz"]["check_digits"]] == positions
    quoted = [f["message"] for f in clear["findings"] if "'M'" in f["message"] or "'5'" in f["message"]]
    assert len(quoted) == 2  # the doubtful name letter, the failing composite digit
    for f, g in zip(clear["findings"], masked["findings"], strict=True):
        assert f["code"] == g["code"] and f["spans"] == g["spans"]
        if f["spans"]:
            assert not QUOTED_CHARACTER.search(g["message"].replace("'*'", "")), g["message"]
        for key in MRZ_CHARACTER_EVIDENCE & set(f["evidence"]):  # the same characters in the evidence
            assert g["evidence"][key] == "*", (f["code"], key)
    character_evidence = {(f["code"], k) for f in clear["findings"] for k in f["evidence"]}
    assert {("mrz.check_digit.composite", "printed"), ("mrz.repair.corrected", "from")} <= character_evidence
    assert masked["verdict"] == "fail" and mask_report_dict(json.loads(json.dumps(clear))) == masked
    for hidden in (False, True):
        console = Console(record=True, width=300)
        print_report(report, console, mask_personal_data=hidden)
        text = console.export_text()
        assert ("'M'" in text and "'O'" in text and "'5'" in text) is not hidden
        assert "mrz.check_digit.composite" in text


def test_stored_rows_mask_like_reports() -> None:
    from docverify.results import mask_report_dict

    report = Verifier(config=VerifierConfig(reference_date=__import__("datetime").date(2026, 1, 1))).verify(TD3)
    row = json.loads(json.dumps(report.to_dict()))
    assert mask_report_dict(row) == report.to_dict(mask_personal_data=True)
    error_row = {"schema_version": SCHEMA_VERSION, "source": "x.jpg", "error": {"kind": "input", "message": "m"}}
    assert mask_report_dict(error_row) == error_row


def test_findings_with_the_same_box_share_one_label_on_the_annotated_image() -> None:
    from docverify.render.annotate import box_labels
    from docverify.results import Category, Finding, Severity

    run_box = ((10.2, 20.0), (90.0, 20.4), (90.0, 40.0), (10.0, 40.0))
    other = ((5.0, 60.0), (50.0, 60.0), (50.0, 80.0), (5.0, 80.0))

    def finding(code: str, severity: Severity, box: tuple[tuple[float, float], ...] = ()) -> Finding:
        return Finding(code, severity, Category.AUTHENTICITY, "m", "print", box=box)

    findings = [
        finding("print.mrz.baseline", Severity.INFO, run_box),
        finding("mrz.specimen", Severity.WARNING),  # no box: no number
        finding("portrait.substitution", Severity.INFO, other),
        finding("print.mrz.tilt", Severity.WARNING, run_box),
    ]
    labels = box_labels(findings)
    assert [(label, severity) for _, label, severity in labels] == [("1, 3", Severity.WARNING), ("2", Severity.INFO)]
    assert labels[0][0] == ((10, 20), (90, 20), (90, 40), (10, 40))


def _mrz_box(name: str) -> tuple[float, float, float, float, float]:
    """The MRZ's left, top, right and bottom edges and its character pitch, from the sample's ground truth."""
    quad = np.asarray(TRUTH[name]["mrz_quad"], dtype=np.float64)
    left, top = quad.min(axis=0)
    right, bottom = quad.max(axis=0)
    return left, top, right, bottom, (right - left) / len(TRUTH[name]["mrz_lines"][0])


@pytest.mark.parametrize(("where", "cut"), [("right", 0.8), ("right", 0.82), ("left", 0.15)])
def test_an_mrz_cut_off_by_the_image_edge_is_inconclusive_not_fail(where: str, cut: float, tmp_path: Path) -> None:
    """A genuine passport photographed with part of its MRZ outside the frame: what is read is invalid (or,
    cut just after 36 characters, a valid-looking passport in the 2 × 36 layout), but the verdict asks for a
    retake instead of failing or reviewing the document, and the broken check digits of the incomplete
    reading do not count in the tampering score."""
    img = cv2.imread(str(TD3))
    left, _, right, _, _ = _mrz_box(TD3.name)
    x = round(left + cut * (right - left))
    path = tmp_path / f"cut_{where}.png"
    cv2.imwrite(str(path), img[:, :x] if where == "right" else img[:, x:])
    code, out, _ = run("check", "--json", "--reference-date", "2026-01-01", str(path))
    report = json.loads(out)
    codes = [f["code"] for f in report["findings"]]
    assert report["verdict"] == "inconclusive" and code == ExitCode.UNREADABLE
    assert "image.mrz.cut_off" in codes
    assert report["score"] < 0.5  # the errors of a cut reading are no forgery cue
    assert report["mrz"] is None or not report["mrz"]["valid"] or "mrz.document_code.td2_passport" in codes
    _, text, _ = run("check", "--reference-date", "2026-01-01", str(path))
    first, second = text.splitlines()[:2]
    assert first.startswith("INCONCLUSIVE") and "runs off the edge of the image" in second  # the reason first


def test_a_blurred_genuine_mrz_misread_is_inconclusive_not_fail(tmp_path: Path) -> None:
    """A genuine ID card photographed out of focus: the recognizer misreads characters it is unsure of and
    check digits fail on them. That is no evidence of tampering: the verdict asks for a retake
    (``mrz.read.unreliable``, exit 3), the reading's errors stay in the report but not in the score, and the
    text output says why on the line under the verdict."""
    img = cv2.imread(str(SAMPLES / "td1_phone.jpg"))
    path = tmp_path / "blurred.png"
    cv2.imwrite(str(path), cv2.GaussianBlur(img, (0, 0), 2.0))
    code, out, _ = run("check", "--json", "--reference-date", "2026-01-01", str(path))
    report = json.loads(out)
    codes = [f["code"] for f in report["findings"]]
    assert report["verdict"] == "inconclusive" and code == ExitCode.UNREADABLE, codes
    assert "mrz.read.unreliable" in codes and "image.mrz.cut_off" not in codes
    assert not report["mrz"]["valid"] and any(c.startswith("mrz.check_digit.") for c in codes)
    assert report["score"] < 0.5
    _, text, _ = run("check", "--reference-date", "2026-01-01", str(path))
    first, second = text.splitlines()[:2]
    assert first.startswith("INCONCLUSIVE") and "read with doubt" in second
    # with the visual zone cross-check, its values are not compared: a misread name is not a forgery cue
    code, out, _ = run("check", "--json", "--viz", "--reference-date", "2026-01-01", str(path))
    viz = [f for f in json.loads(out)["findings"] if f["stage"] == "viz"]
    assert [(f["code"], f["severity"]) for f in viz] == [("viz.not_compared", "info")] and code == ExitCode.UNREADABLE
    assert "misreading" in viz[0]["message"]


def test_an_mrz_in_another_typeface_misread_with_doubt_is_reviewed_for_its_print() -> None:
    """An MRZ retyped in a monospace font that is not OCR-B: the recognizer reads it with doubt, its check digits
    fail on doubtful characters (``mrz.read.unreliable``), and the print stage still judges the glyphs as read
    — the typeface warns (``print.mrz.font``), so the verdict is ``review`` for the print, not ``fail`` for
    the misread check digits nor ``inconclusive``; the genuine twin passes."""
    verifier = Verifier(config=VerifierConfig(reference_date=dt.date(2026, 1, 1)))
    forged = verifier.verify(synthesize(1, MRZFormat.TD3, "flatbed", forgeries=("mrz.wrong_font",)).image)
    codes = {f.code for f in forged.findings if f.severity is not Severity.INFO}
    assert {"mrz.read.unreliable", "print.mrz.font"} <= codes and forged.mrz is not None and not forged.mrz.valid
    assert forged.verdict is Verdict.REVIEW and forged.score >= 0.5
    genuine = verifier.verify(synthesize(1, MRZFormat.TD3, "flatbed").image)
    assert genuine.verdict is Verdict.PASS


def test_a_clearly_read_broken_check_digit_still_fails() -> None:
    """The verdict's rule beside the reading's: a broken check digit without ``mrz.read.unreliable`` fails,
    with it the same errors are inconclusive."""
    lines = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898962C36UTO7408122F1204159ZE184226B<<<<<10")
    result = read_mrz(lines, reference_date=dt.date(2010, 1, 1), repair_text=False)
    assert decide_verdict(result, result.findings) is Verdict.FAIL
    alts = [[[(ch, 1.0)] for ch in line] for line in lines]
    alts[1][1] = [("8", 0.7), ("3", 0.3)]
    doubtful = read_mrz(lines, reference_date=dt.date(2010, 1, 1), alternatives=alts)
    assert decide_verdict(doubtful, doubtful.findings) is Verdict.INCONCLUSIVE
    cue = Finding("print.mrz.font", Severity.WARNING, Category.AUTHENTICITY, "not OCR-B", "print")
    assert decide_verdict(doubtful, (*doubtful.findings, cue)) is Verdict.REVIEW  # the print still speaks
    note = Finding("print.mrz.font", Severity.INFO, Category.AUTHENTICITY, "a little off", "print")
    assert decide_verdict(doubtful, (*doubtful.findings, note)) is Verdict.INCONCLUSIVE
    cut = Finding("image.mrz.cut_off", Severity.WARNING, Category.QUALITY, "cut off", "pipeline")
    assert decide_verdict(doubtful, (*doubtful.findings, cue, cut)) is Verdict.INCONCLUSIVE  # incomplete reading


def test_a_visa_cut_after_36_characters_is_cut_off_not_a_short_visa() -> None:
    """A 2 × 44 visa (MRV-A) photographed with the end of its lines outside the frame: its first 36 characters
    read as a valid 2 × 36 visa (MRV-B: every check digit lies within the first 28), a reading with a shortened
    name and optional data. At the image's edge that layout is asked for a retake, as a 2 × 36 passport is."""
    verifier = Verifier(config=VerifierConfig(reference_date=dt.date(2026, 1, 1)))
    img = cv2.cvtColor(cv2.imread(str(SAMPLES / "mrva_phone.jpg")), cv2.COLOR_BGR2RGB)
    left, _, right, _, _ = _mrz_box("mrva_phone.jpg")
    report = verifier.verify(np.ascontiguousarray(img[:, : round(left + 0.85 * (right - left))]), name="cut visa")
    codes = {f.code for f in report.findings}
    assert report.mrz is not None and report.mrz.format.value == "MRV-B" and report.mrz.valid
    assert report.verdict is Verdict.INCONCLUSIVE and "image.mrz.cut_off" in codes
    whole = cv2.cvtColor(cv2.imread(str(SAMPLES / "mrvb_flatbed.jpg")), cv2.COLOR_BGR2RGB)
    left, top, right, bottom, pitch = _mrz_box("mrvb_flatbed.jpg")
    # a genuine MRV-B cropped tight above, below and before its MRZ (a fifth of a pitch) but not at its lines' end
    tight = whole[
        round(top - 0.2 * pitch) : round(bottom + 0.2 * pitch), round(left - 0.2 * pitch) : round(right + 1.5 * pitch)
    ]
    for image in (whole, tight):
        report = verifier.verify(np.ascontiguousarray(image), name="visa")
        assert report.mrz is not None and report.mrz.format.value == "MRV-B" and report.mrz.valid
        assert "image.mrz.cut_off" not in {f.code for f in report.findings}, [f.code for f in report.findings]


def test_an_mrz_clear_of_the_edge_or_valid_at_it_is_not_cut_off() -> None:
    """Cropped just beyond the MRZ (a pitch of margin), or to the MRZ alone with a pitch around it: valid
    readings, so no cut-off finding, and a valid MRZ touching the edge is judged as usual."""
    verifier = Verifier(config=VerifierConfig(reference_date=dt.date(2026, 1, 1)))
    img = cv2.cvtColor(cv2.imread(str(TD3)), cv2.COLOR_BGR2RGB)
    left, top, right, bottom, pitch = _mrz_box(TD3.name)
    crops = {
        "beside": img[:, : round(right + pitch)],
        "mrz alone": img[round(top - pitch) : round(bottom + pitch), round(left - pitch) : round(right + pitch)],
    }
    for name, crop in crops.items():
        report = verifier.verify(np.ascontiguousarray(crop), name=name)
        assert report.verdict is Verdict.PASS, (name, [f.code for f in report.findings])
        assert "image.mrz.cut_off" not in {f.code for f in report.findings}


def test_an_annotation_that_cannot_be_written_is_an_output_error_not_the_inputs(tmp_path: Path) -> None:
    """The report is still given (the document was checked); the exit code is 5 (an output failed), not 3."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, out, err = run(
        "check", "--json", "--annotate", str(blocker / "a.png"), "--reference-date", "2026-01-01", str(TD3)
    )
    assert code == ExitCode.ERROR and "cannot write the annotated image" in err
    assert json.loads(out)["verdict"] == "pass"
    made = tmp_path / "new" / "deeper" / "a.png"  # a folder that does not exist yet is made
    code, _, _ = run("check", "--annotate", str(made), "--reference-date", "2026-01-01", str(TD3))
    assert code == ExitCode.OK and made.exists()
