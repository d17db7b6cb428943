"""What each finding code means, how a document examiner confirms it, and what it cannot prove.

Codes are matched by pattern (``*`` stands for any text, e.g. the field name in
``mrz.check_digit.birth_date``), and only codes docverify emits (:func:`known_codes`) are explained.
:func:`explain` is what ``docverify explain CODE`` prints.

>>> explain("mrz.check_digit.birth_date").title
'A check digit does not match its data'
"""

from __future__ import annotations

import fnmatch
import functools
from dataclasses import dataclass

from docverify.mrz.spec import LAYOUTS


@dataclass(frozen=True, slots=True)
class Explanation:
    """One entry of the catalogue: ``pattern`` (codes it covers), a short ``title``, and three answers."""

    pattern: str
    title: str
    meaning: str
    confirm: str
    cannot_prove: str


CATALOGUE: tuple[Explanation, ...] = (
    Explanation(
        "mrz.check_digit.*.unused",
        "An optional-data check digit is '<' for an empty field",
        "ICAO 9303 lets an issuer print '<' instead of 0 as the check digit of an empty optional-data field; "
        "genuine Austrian, Swiss and German passports do.",
        "Nothing to confirm: the field it protects is empty.",
        "It says nothing about the rest of the document.",
    ),
    Explanation(
        "mrz.check_digit.*",
        "A check digit does not match its data",
        "Each MRZ field (document number, birth date, expiry date, optional data) and the whole line (the "
        "composite) carry a check digit computed from the data with the 7-3-1 weights. A mismatch means a "
        "character of the field or its check digit is not what the issuer printed: a misread, a printing "
        "fault on an old specimen, or an alteration.",
        "Read the MRZ characters by eye (or under magnification) and compare with the visual zone; look for "
        "scraped or reprinted characters in the MRZ band. A genuine document fails only if misprinted.",
        "A failing check digit does not say which character is wrong; a passing one does not prove the "
        "data are genuine (a forger can recompute it).",
    ),
    Explanation(
        "mrz.charset.illegal",
        "A character outside the MRZ alphabet",
        "An MRZ holds only 0–9, A–Z and '<'. Anything else was typed or read wrongly.",
        "Look at the printed MRZ: OCR-B has no lower case, no punctuation.",
        "It does not show an alteration by itself.",
    ),
    Explanation(
        "mrz.field.*.charset",
        "A character not allowed in this field",
        "Dates and check digits hold digits only, names letters and '<' only, codes letters only.",
        "Compare the character with the printed MRZ and the visual zone.",
        "Often an OCR confusion (O/0, I/1); the repair reports what it changed.",
    ),
    Explanation(
        "mrz.field.*.filler",
        "A lone K or X in a field's trailing filler",
        "A K or X standing alone among '<' fillers is almost always a misread '<'; check digits cannot see it "
        "when it is outside the protected part.",
        "Look at the printed character: OCR-B '<' and K differ clearly.",
        "It is not a forgery cue.",
    ),
    Explanation(
        "mrz.document_code.crew_member",
        "A crew member certificate (document code AC)",
        "An information note: ICAO reserves AC for crew member certificates; the layout is that of an "
        "identity card. Nothing is wrong with the code.",
        "Check that the holder is travelling as crew, and the certificate's other features.",
        "Not a forgery cue.",
    ),
    Explanation(
        "mrz.document_code.*",
        "The document code does not fit the layout",
        "The first characters of the MRZ say what the document is (P passport, I/A/C identity card, V visa). "
        "Some codes are outside ICAO's table but used by genuine issuers.",
        "Compare with the document type printed in the visual zone and the issuer's specimens.",
        "An unusual code is not a forgery cue by itself.",
    ),
    Explanation(
        "mrz.country.*.icao_code",
        "A state or nationality code that ICAO defines",
        "An information note: the code is one of ICAO's own (D for Germany, XXA stateless, XXB refugee, UNO, "
        "EUE, GBD and the other British codes …), not an ISO 3166-1 code; the message names it.",
        "Compare with the issuing state or nationality printed in the visual zone.",
        "Not a forgery cue: these codes are legitimate.",
    ),
    Explanation(
        "mrz.country.*",
        "A state or nationality code is unknown, deprecated or special",
        "Codes are ISO 3166-1 alpha-3 or ICAO codes (D for Germany, XXA stateless, UNO, EUE…).",
        "Compare with the issuing state printed on the document.",
        "A special code is legitimate; an unknown one is a misread or a fantasy document.",
    ),
    Explanation(
        "mrz.date.*",
        "A date is not a calendar date, or has unknown parts",
        "MRZ dates are YYMMDD; ICAO allows '<' for unknown parts of a birth date.",
        "Compare with the dates in the visual zone.",
        "An invalid date is a misread or a misprint as often as an alteration.",
    ),
    Explanation(
        "mrz.validity.*",
        "The document is expired, not yet valid, or its dates are implausible",
        "Judged against the reference date (today unless given): expiry, issue, ages over 125, a birth in "
        "the future, an expiry before the birth.",
        "Check the dates printed in the visual zone and the reference date used.",
        "Expiry is validity, not authenticity: an expired document may be perfectly genuine.",
    ),
    Explanation(
        "mrz.sex.x",
        "The sex is printed as X",
        "An information note: ICAO 9303 gives '<' for unspecified, but several issuers print X (and ICAO "
        "now allows it).",
        "Compare with the visual zone.",
        "Not a forgery cue.",
    ),
    Explanation(
        "mrz.sex.*",
        "The sex field is not M, F, < (or X)",
        "ICAO allows M, F and '<' (unspecified); X is used by some issuers.",
        "Compare with the visual zone.",
        "Not a forgery cue by itself.",
    ),
    Explanation(
        "mrz.name.*",
        "A name rule is broken, or the name is truncated",
        "Names are SURNAME<<GIVEN<NAMES with '<' between words; a name that fills the field may be cut short.",
        "Compare with the full name printed in the visual zone.",
        "Truncation is normal for long names.",
    ),
    Explanation(
        "mrz.document_number.*",
        "A long document number continues in the optional data",
        "TD1 and TD2 documents with numbers longer than 9 characters continue them in the optional data, "
        "as ICAO describes: '<' in the number's check-digit place, the rest of the number, its check digit and "
        "a '<'. A warning (long_syntax) when nothing continues the number or the check digit ends the field.",
        "Compare with the number printed in the visual zone.",
        "It is a layout note, not a cue; a layout that breaks the syntax is a misprint or a retyped MRZ.",
    ),
    Explanation(
        "mrz.specimen",
        "A specimen document",
        "The state UTO, ICAO's example numbers or specimen name words mark a specimen: not valid for travel.",
        "Specimens usually say SPECIMEN in the visual zone.",
        "Not a forgery cue.",
    ),
    Explanation(
        "mrz.deviation.*",
        "A known issuer deviation was accepted",
        "Some genuine documents depart from ICAO 9303 in a documented way; docverify keeps them as data "
        "(src/docverify/mrz/data/issuer_deviations.json).",
        "Nothing to confirm.",
        "It does not say the document is genuine.",
    ),
    Explanation(
        "mrz.repair.*",
        "A character was corrected, or a correction was ambiguous",
        "OCR confuses O/0, I/1, B/8, '<'/K…; docverify corrects a character only when the check digits "
        "and the field rules single one reading out, and reports each change. A legal character changed "
        "only to satisfy a check digit is a warning — also when the recognizer read it clearly and gave "
        "the new character under 5 %: an altered digit or check digit looks exactly like that; and a legal "
        "character the recognizer was sure of (99 % or more) is not changed into a look-alike it did not "
        "propose at all: the check digit fails as printed. Where no "
        "check digit reaches (names), a character that is not allowed there (a 0 in a name) replaced by the "
        "recognizer's clear choice is info; any other change there is a warning (in text given without a "
        "recognizer, a digit in a name becomes the letter its neighbours and its looks make likeliest, from "
        "letter statistics of names of 63 countries: a 0 between two A is read D). When another reading "
        "satisfies the same check digits nearly as well (under 100 times less likely), only the recognizer's "
        "confidence chose between them, and a recognizer can be confidently wrong on a poor image: that "
        "change is a warning too. Two equally good readings are left unrepaired.",
        "Look at the printed character at the reported position.",
        "A correction is about reading, not about the document; a warning-level one could hide an "
        "altered character, so confirm it by eye.",
    ),
    Explanation(
        "mrz.read.low_confidence",
        "A character was read with low confidence where no check digit can confirm it",
        "The recognizer gave a second reading a real chance — one in ten or more, or nearly as much as the "
        "first (an O that may be a D, an F that may be an R) — in a place that no passing check digit covers: "
        "the names, the state and nationality codes, the sex, unprotected optional data — or between two "
        "characters that no check digit can tell apart (6 and G, 0 and K have the same check value). A misread "
        "there would otherwise go unnoticed.",
        "Compare the named characters with the printed MRZ and with the same data in the visual zone.",
        "It is about image quality and reading, not about the document: a worn, blurred or small MRZ does it.",
    ),
    Explanation(
        "mrz.read.unreliable",
        "Every error in the reading may be a misreading",
        "The reading has errors (a check digit that fails, a letter where a digit belongs, an unknown code), "
        "and each of them lies on a character the recognizer was unsure of — a second reading with one chance "
        "in ten or more, or nearly as likely as the first — or one the repair had to change from what it "
        "read; or its only errors are places where two characters were equally likely and no check digit "
        "decides (an ambiguous repair); or the reading is garbled: three or more fields hold values no genuine "
        "MRZ prints at once (dates that are not calendar dates, unknown state codes, an impossible sex, a letter "
        "in a digit field), which a line read shifted by a lost character gives and an alteration does not. A "
        "blurred, small, dark or heavily compressed MRZ does this: a misread character breaks a check digit just "
        "as an altered one does. Such errors prove nothing about the document, so the verdict is inconclusive "
        "and they are left out of the score. The print is still judged on such a reading: an MRZ "
        "retyped in another typeface is read with doubt too, and its font warning makes the verdict review. An "
        "error on characters read with confidence — a broken check digit printed clearly — still fails.",
        "Retake the image sharp, close enough and evenly lit. If a sharp image gives the same, look at the MRZ's "
        "print: characters not printed in OCR-B (an MRZ retyped in another typeface) are read with doubt too, "
        "and that is a forgery cue for an examiner to confirm with a loupe.",
        "It says nothing about the document. A forgery photographed badly also gets it: judge it on a retaken image.",
    ),
    Explanation(
        "mrz.input.*",
        "The input text was cleaned up",
        "White space, extra lines or line lengths were adjusted before reading.",
        "Nothing to confirm for a scan; for typed text, retype it.",
        "Not a cue.",
    ),
    Explanation(
        "viz.mismatch.*",
        "The MRZ and the printed visual zone disagree",
        "The printed data page shows a different value of this field from the MRZ's (read with confidence at "
        "the place that matches it best, under the field's label, or for a name where it is printed beside the "
        "other name), while other fields agree: one of the two "
        "zones may have been altered (e.g. MRZ data changed with recomputed check digits, or a printed field "
        "painted over and retyped). The box marks the printed value (with the tesseract reader: the MRZ "
        "characters).",
        "Compare the field in both zones by eye; look at the printed field for a different font, spacing, "
        "baseline or background around it.",
        "OCR of the visual zone can fail, so a mismatch can be a false alarm (rates in RESULTS.md); a "
        "match proves nothing, since a forger may alter both zones.",
    ),
    Explanation(
        "viz.not_compared",
        "The visual zone was not compared",
        "The printed data page could not be read well enough (fewer than three fields found, or two "
        "when two others disagree; or, with the tesseract reader, tesseract is missing), so the MRZ was not "
        "compared with it.",
        "Compare the MRZ with the visual zone by eye.",
        "Nothing either way.",
    ),
    Explanation(
        "print.mrz.not_assessed",
        "The MRZ print was not assessed",
        "The print could not be measured: the MRZ did not read as valid, the characters are too small, the "
        "lines could not be measured, or the OCR-B font is missing.",
        "Inspect the MRZ print by eye if it matters.",
        "Nothing either way.",
    ),
    Explanation(
        "print.mrz.cloned",
        "Two MRZ characters look like copies of one another",
        "Two cells of the MRZ that read the same character are far more alike in the background printed "
        "under them than any other two such cells of the document. Characters printed in their own places "
        "each have a background of their own; a character cut out (with its background) and pasted over "
        "another one brings its source's — a way to change a letter of a name without reprinting the line. Both "
        "cells are boxed: one is the source, the other the pasted copy.",
        "Look at both characters under magnification: edges or a step in the background around the pasted "
        "one, a background pattern that breaks off at the cell's border; compare the name or number with the "
        "visual zone.",
        "A background printed in a pattern that repeats exactly at the character pitch, and ends at the "
        "characters' edges, could look the same (a repeating pattern that goes on around them is recognised "
        "and not reported). It is looked for only in sharp captures (flatbed scans mostly), where the paper "
        "around the MRZ shows background detail: on phone photos the detail is lost, and on plain paper a copy "
        "brings nothing to recognise it by; a patch pasted much larger than the character, or two separate "
        "copies, are not found — a missing finding proves nothing.",
    ),
    Explanation(
        "print.mrz.erased",
        "The background print is missing under some MRZ characters",
        "Under these MRZ characters the paper is bare, while just above and below them the security "
        "background printed under the MRZ goes on. Characters scraped off (or, in an image, covered with the "
        "paper's colour) and printed again leave bare paper where the background was — a way to change a "
        "date, a number or a name in the MRZ. Two or more such characters side by side are reported, a single "
        "one only when its paper is far barer still; each run is boxed.",
        "Look at the characters under magnification and oblique light: scraped or roughened paper, a filled "
        "patch, fine background lines that stop at the cell's edge; compare the MRZ with the visual zone.",
        "A stain, a fold or glare across the characters can hide the background too. It is looked for only in "
        "a sharp capture, where the background's fine lines survive (flatbed scans mostly), and it sees only a "
        "removal that left bare paper: one that keeps or copies back the pattern leaves nothing to find, and "
        "a single scraped character is usually missed, so a missing finding proves nothing. A line bare for "
        "more than half its length is not reported (a clear band printed along an MRZ line is the page's "
        "design; a retyped line is for the font and pitch cues).",
    ),
    Explanation(
        "print.mrz.*",
        "The MRZ print departs from OCR-B, its fixed pitch, its baselines or its line spacing",
        "Genuine MRZs are printed in OCR-B at 2.54 mm per character on straight baselines. Glyph shapes "
        "unlike OCR-B (judged by a small model that compares every glyph with the OCR-B shape of the "
        "character read), a run of characters off the pitch or baseline or turned together off upright, or "
        "unusual line spacing suggest a retyped or partly reprinted MRZ.",
        "Inspect the MRZ under magnification: compare the shapes of 0, 1, < and letters with a genuine MRZ "
        "and look for characters out of line.",
        "Blur, perspective, shadows and low resolution also distort print (turns are judged only on a sharp "
        "image taken square on; in a deep shadow across the MRZ, runs are information only), and an issuer's "
        "own OCR-B variant or printer can differ from the OCR-B the model knows; it is a cue for a closer look.",
    ),
    Explanation(
        "portrait.substitution.not_assessed",
        "The portrait zone was not checked",
        "The portrait zone, placed from the MRZ's position and size, lies partly outside the image.",
        "Capture the whole data page, or inspect the portrait by eye.",
        "Nothing either way.",
    ),
    Explanation(
        "portrait.substitution",
        "The portrait may have been replaced",
        "A small model trained on generated documents scored the portrait zone (found from the MRZ's "
        "geometry, ICAO zone V) as pasted in: a seam or shadow around the photo, a photo tilted or "
        "shifted against its printed frame, or a sharpness, colour, grain or JPEG texture unlike the page "
        "around it. The score is the zone's against two zones of the same size beside it on the same page, "
        "so a page that looks unusual everywhere does not raise it. The box marks the zone that was scored.",
        "Look at the portrait's edges under magnification and raking light for a cut, a lifted laminate or "
        "glue; check that security print (guilloche, ghost image, laser perforation) continues across the "
        "photo; compare the face with the ghost image and the chip.",
        "It is a statistical cue from a model trained on synthetic data: an unusual genuine layout, a "
        "worn laminate or glare can trigger it, and a careful substitution can escape it. It cannot tell "
        "who is pictured.",
    ),
    Explanation(
        "print.reprint.not_assessed",
        "The visual zone's print was not checked",
        "The visual zone, placed from the MRZ's position and size, lies partly outside the image.",
        "Capture the whole data page, or inspect the print by eye.",
        "Nothing either way.",
    ),
    Explanation(
        "print.reprint",
        "The page may be a reprint",
        "A small model trained on generated documents scored the printed visual zone as reproduced on an "
        "office or colour printer: fine guilloche lines blurred or broken, a regular halftone dot screen, "
        "washed-out or shifted colours. Genuine data pages are printed with continuous fine lines (offset, "
        "intaglio) and personalised by laser or inkjet.",
        "Look at the background print under a 10× loupe: genuine fine lines are continuous and sharp, a "
        "reprint shows dots (rosettes) or ragged lines; check UV features, which a reprint lacks.",
        "A statistical cue from synthetic training data: a blurred or heavily compressed image can look "
        "like a reprint, and a good reproduction can escape it. It says nothing about the chip or UV print.",
    ),
    Explanation(
        "image.mrz.not_found",
        "No MRZ was found or read",
        "The image holds no machine readable zone docverify could read: nothing else was checked.",
        "Retake the image: the whole document, in focus, without glare on the MRZ.",
        "It says nothing about the document.",
    ),
    Explanation(
        "image.mrz.cut_off",
        "The MRZ runs off the image",
        "The machine readable zone reaches the edge of the image and what was read is not a valid MRZ, or is a "
        "passport or a visa in the 2 × 36 layout (what a 2 × 44 passport or visa line cut after 36 characters "
        "reads as): the image most likely cuts off the end or the start of its lines, so the reading is "
        "incomplete and its check-digit errors say nothing about the document. The verdict is inconclusive.",
        "Retake the image with the whole document in it, the MRZ clear of the edges.",
        "It says nothing about the document. A genuinely damaged MRZ photographed at the edge of the frame "
        "also gets it: judge it on a retaken image.",
    ),
    Explanation(
        "image.mirrored",
        "The image is mirrored left to right",
        "The MRZ read as nonsense as given and as a valid MRZ once the image was flipped: a camera that mirrors "
        "its picture (many webcams and front cameras do) or a file whose orientation tag mirrors it.",
        "Look at the image: the printing reads backwards. Set the camera not to mirror its picture.",
        "It says nothing about the document; the checks ran on the image flipped back. A document seen through "
        "its back (a transparency) would also look mirrored.",
    ),
    Explanation(
        "image.time_limit",
        "The time limit was reached",
        "The search for the MRZ stopped at Limits.max_seconds before a valid reading was found.",
        "Retry with a cleaner image or a longer limit.",
        "It says nothing about the document.",
    ),
)

NOT_CHECKED = (
    "docverify checks what a visible-light image shows. It does not check UV or IR features, "
    "transmitted-light features (watermarks), holograms and other optically variable devices, or the chip "
    "(eMRTD). A pass means nothing it checks is wrong, not that the document is genuine."
)


_FIXED_CODES: tuple[str, ...] = (
    "image.mrz.cut_off",
    "image.mirrored",
    "image.mrz.not_found",
    "image.time_limit",
    "mrz.charset.illegal",
    "mrz.date.birth_date.unknown_parts",
    "mrz.date.issue_date.invalid",
    "mrz.document_code.crew_member",
    "mrz.document_code.invalid",
    "mrz.document_code.td2_passport",
    "mrz.document_code.unusual",
    "mrz.document_number.long",
    "mrz.document_number.long_syntax",
    "mrz.input.extra_lines",
    "mrz.input.length_repaired",
    "mrz.input.whitespace",
    "mrz.name.no_primary_identifier",
    "mrz.name.syntax",
    "mrz.name.truncated",
    "mrz.read.low_confidence",
    "mrz.read.unreliable",
    "mrz.repair.ambiguous",
    "mrz.repair.corrected",
    "mrz.sex.invalid",
    "mrz.sex.x",
    "mrz.specimen",
    "mrz.validity.birth_in_future",
    "mrz.validity.expired",
    "mrz.validity.expiry_before_birth",
    "mrz.validity.expiry_implausible",
    "mrz.validity.implausible_age",
    "mrz.validity.not_yet_valid",
    "portrait.substitution",
    "portrait.substitution.not_assessed",
    "print.mrz.cloned",
    "print.mrz.erased",
    "print.mrz.font",
    "print.mrz.line_spacing",
    "print.mrz.not_assessed",
    "print.mrz.pitch",
    "print.mrz.baseline",
    "print.mrz.tilt",
    "print.reprint",
    "print.reprint.not_assessed",
    "viz.not_compared",
)
VIZ_FIELDS: tuple[str, ...] = ("surname", "given_names", "document_number", "birth_date", "expiry_date")
"""The fields the visual-zone cross-check compares (``viz.CHECKED_FIELDS``; not imported: it needs OpenCV)."""


@functools.cache
def known_codes() -> frozenset[str]:
    """Every finding code docverify can emit: the fixed ones and those named after a layout's fields,
    check digits, issuer deviations or the visual zone's fields."""
    from docverify.mrz.validate import deviations  # noqa: PLC0415  (only when a code is looked up)

    codes = set(_FIXED_CODES)
    for layout in LAYOUTS.values():
        for f in layout.fields:
            codes |= {f"mrz.field.{f.name}.charset", f"mrz.field.{f.name}.filler"}
        for c in layout.checks:
            codes.add(f"mrz.check_digit.{c.name}")
            if c.filler_allowed:
                codes.add(f"mrz.check_digit.{c.name}.unused")
    for state in ("issuing_state", "nationality"):
        codes |= {f"mrz.country.{state}.{what}" for what in ("unknown", "icao_code", "deprecated")}
    codes |= {f"mrz.date.{name}.invalid" for name in ("birth_date", "expiry_date")}
    codes |= {f"mrz.name.{name}.empty" for name in ("name", "surname")}
    codes |= {f"mrz.deviation.{dev.id}" for dev in deviations()}
    codes |= {f"viz.mismatch.{name}" for name in VIZ_FIELDS}
    return frozenset(codes)


def explain(code: str) -> Explanation | None:
    """The catalogue entry for ``code`` (the first pattern that matches, most specific first), or None
    when docverify never emits ``code``."""
    if code not in known_codes():
        return None
    for entry in CATALOGUE:
        if fnmatch.fnmatchcase(code, entry.pattern):
            return entry
    return None


__all__ = ["CATALOGUE", "NOT_CHECKED", "VIZ_FIELDS", "Explanation", "explain", "known_codes"]
