"""Canvas QTI 1.2: a zip of imsmanifest.xml, the assessment, and Canvas's quiz settings.

The assessment has one section per slot, a Canvas question group that picks 1 of the slot's
variants for each student (``selection_ordering``). Item types by answer kind: a number →
``numerical_question`` (the exact value, or within the grading rule's tolerance); a vector →
``fill_in_multiple_blanks_question`` with one blank per component, each worth the same share.
Canvas matches blanks as text, so each blank accepts every way of typing the value that
``examgen grade`` accepts up to two places past the rule (``7/3``, ``2.33``, ``2.333``, …);
true/false → ``true_false_question``; a choice → ``multiple_choice_question``, in the variant's
order.
The worked solution is the general feedback; each item's metadata carries its fingerprint and its
title the fingerprint's digest, which alone survives Canvas's import (it drops unknown metadata).

Feedback as Canvas's own export writes it (and its importer reads it back): each wrong option of a
multiple-choice or true/false item has an answer comment, an ``itemfeedback`` named
``<option ident>_fb`` shown by a ``displayfeedback`` in a condition on that option, placed before
the scoring condition (Canvas's importer takes an option's weight from the last condition naming
it). Canvas keeps comments only on correct answers of numeric and fill-in items, so there the
named mistakes (each wrong value and why) are the item's incorrect-answer comment
(``general_incorrect_fb``).

The zip is byte-for-byte reproducible: fixed entry order and timestamps.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from io import BytesIO
from pathlib import Path

from generator.exact import points_text
from generator.export.feedback import (
    mistake_values,
    option_feedback,
    statement_feedback,
)
from generator.export.pools import (
    ExportVariant,
    Pool,
    accepted_texts,
    choice_options,
    decimal_text,
    entry_hint,
    option_html,
    range_texts,
    serialise,
    xml_safe,
)
from generator.fingerprint import fingerprint_digest
from generator.htmlmath import escape_html
from generator.responses import DecimalRule
from generator.spec import Spec

QTI_NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
CP_NS = "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"
CANVAS_NS = "http://canvas.instructure.com/xsd/cccv1p0"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
MANIFEST = "imsmanifest.xml"
FINGERPRINT_FIELD = "examgen_fingerprint"


def _ident(text: str) -> str:
    """An XML-ID-safe identifier."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text)


class _Builder:
    """Elements of one XML vocabulary; the root declares its namespace as a plain ``xmlns``
    attribute, so the serialised file has no prefixes and no global ElementTree state changes."""

    def __init__(self, namespace: str) -> None:
        self.ns = namespace

    def el(
        self,
        parent: ET.Element | None,
        tag: str,
        attrs: dict[str, str] | None = None,
        text: str | None = None,
    ) -> ET.Element:
        if parent is None:
            element = ET.Element(tag, {"xmlns": self.ns, **(attrs or {})})
        else:
            element = ET.SubElement(parent, tag, attrs or {})
        if text is not None:
            element.text = text
        return element


Q = _Builder(QTI_NS)


#: How every assessment's identifier (and so its folder in the zip) begins.
ASSESSMENT_PREFIX = "examgen_"


def assessment_id(spec: Spec, seed: int) -> str:
    return _ident(f"{ASSESSMENT_PREFIX}{spec.id}_seed{seed}")


def assessment_files(ident: str) -> tuple[str, str]:
    """Where the zip holds the assessment ``ident`` and Canvas's settings for it."""
    return f"{ident}/{ident}.xml", f"{ident}/assessment_meta.xml"


def item_id(item: ExportVariant) -> str:
    return _ident(f"examgen_q{item.slot.number}_{item.label}")


def _metadata(item_el: ET.Element, entries: dict[str, str]) -> None:
    meta = Q.el(Q.el(item_el, "itemmetadata"), "qtimetadata")
    for label, entry in entries.items():
        field = Q.el(meta, "qtimetadatafield")
        Q.el(field, "fieldlabel", text=label)
        Q.el(field, "fieldentry", text=entry)


def _material(parent: ET.Element, html: str, texttype: str = "text/html") -> None:
    Q.el(Q.el(parent, "material"), "mattext", {"texttype": texttype}, html)


def _choice_response(presentation: ET.Element, ident: str, options: list[tuple[str, str]]) -> None:
    response = Q.el(presentation, "response_lid", {"ident": ident, "rcardinality": "Single"})
    render = Q.el(response, "render_choice")
    for option_ident, html in options:
        _material(Q.el(render, "response_label", {"ident": option_ident}), html)


def _condition(
    processing: ET.Element, score: str, action: str = "Set", cont: str = "No"
) -> ET.Element:
    condition = Q.el(processing, "respcondition", {"continue": cont})
    variables = Q.el(condition, "conditionvar")
    Q.el(condition, "setvar", {"action": action, "varname": "SCORE"}, score)
    return variables


def item_element(item: ExportVariant, rule: DecimalRule) -> ET.Element:
    ident = item_id(item)
    answer = item.answer
    title = f"q{item.slot.number} {item.label} #{fingerprint_digest(item.fingerprint)}"
    element = ET.Element("item", {"ident": ident, "title": title})
    question_type = {
        "number": "numerical_question",
        "vector": "fill_in_multiple_blanks_question",
        "bool": "true_false_question",
        "choice": "multiple_choice_question",
    }[answer.kind]
    _metadata(
        element,
        {
            "question_type": question_type,
            "points_possible": points_text(item.slot.points),
            "assessment_question_identifierref": f"{ident}_ref",
            FINGERPRINT_FIELD: item.fingerprint,
        },
    )
    presentation = Q.el(element, "presentation")
    processing_parts: list[tuple[str, list[str]]] = []  # (response ident, accepted label idents)

    if answer.kind == "number":
        _material(presentation, item.statement + entry_hint(rule, fractions=False))
        response = Q.el(
            presentation, "response_str", {"ident": "response1", "rcardinality": "Single"}
        )
        Q.el(
            Q.el(response, "render_fib", {"fibtype": "Decimal"}),
            "response_label",
            {"ident": "answer1"},
        )
    elif answer.kind == "vector":
        names = [f"c{i}" for i in range(1, len(answer.value) + 1)]
        blanks = ", ".join(f"[{name}]" for name in names)
        _material(
            presentation,
            item.statement + entry_hint(rule, fractions=True) + f"<p>Answer: ( {blanks} )</p>\n",
        )
        for name, value in zip(names, answer.value, strict=True):
            response = Q.el(presentation, "response_lid", {"ident": f"response_{name}"})
            Q.el(Q.el(response, "material"), "mattext", text=name)
            render = Q.el(response, "render_choice")
            labels = []
            for k, text in enumerate(accepted_texts(value, rule), start=1):
                label = f"{ident}_{name}_{k}"
                _material(Q.el(render, "response_label", {"ident": label}), text, "text/plain")
                labels.append(label)
            processing_parts.append((f"response_{name}", labels))
    elif answer.kind == "bool":
        _material(presentation, item.statement)
        _choice_response(
            presentation, "response1", [(f"{ident}_true", "True"), (f"{ident}_false", "False")]
        )
    else:
        _material(presentation, item.statement)
        options = [(f"{ident}_{letter}", html) for letter, html in choice_options(item.variant)]
        _choice_response(presentation, "response1", options)

    processing = Q.el(element, "resprocessing")
    Q.el(
        Q.el(processing, "outcomes"),
        "decvar",
        {"maxvalue": "100", "minvalue": "0", "varname": "SCORE", "vartype": "Decimal"},
    )
    # The worked solution shows whatever the response.
    general = Q.el(processing, "respcondition", {"continue": "Yes"})
    Q.el(Q.el(general, "conditionvar"), "other")
    Q.el(general, "displayfeedback", {"feedbacktype": "Response", "linkrefid": "general_fb"})
    comments = _option_comments(item)
    for option_ident in comments:
        shown = Q.el(processing, "respcondition", {"continue": "Yes"})
        Q.el(Q.el(shown, "conditionvar"), "varequal", {"respident": "response1"}, option_ident)
        Q.el(
            shown,
            "displayfeedback",
            {"feedbacktype": "Response", "linkrefid": f"{option_ident}_fb"},
        )

    if answer.kind == "number":
        variables = _condition(processing, "100")
        either = Q.el(variables, "or")
        Q.el(either, "varequal", {"respident": "response1"}, decimal_text(answer.value))
        within = Q.el(either, "and")
        low, high = range_texts(answer.value, rule.tolerance(answer.value))
        Q.el(within, "vargte", {"respident": "response1"}, low)
        Q.el(within, "varlte", {"respident": "response1"}, high)
    elif answer.kind == "vector":
        # Canvas's own layout: one condition per accepted text, adding the blank's share.
        share = f"{100 / len(processing_parts):.2f}"
        for response_ident, labels in processing_parts:
            for label in labels:
                variables = _condition(processing, share, action="Add", cont="Yes")
                Q.el(variables, "varequal", {"respident": response_ident}, label)
    elif answer.kind == "bool":
        correct = f"{ident}_{'true' if answer.value else 'false'}"
        Q.el(_condition(processing, "100"), "varequal", {"respident": "response1"}, correct)
    else:
        correct = f"{ident}_{str(answer.value).upper()}"
        Q.el(_condition(processing, "100"), "varequal", {"respident": "response1"}, correct)

    incorrect = mistakes_html(item)
    if incorrect and answer.kind == "number":
        # After the scoring condition, which stops processing: reached by wrong answers only.
        wrong = Q.el(processing, "respcondition", {"continue": "Yes"})
        Q.el(Q.el(wrong, "conditionvar"), "other")
        Q.el(
            wrong,
            "displayfeedback",
            {"feedbacktype": "Response", "linkrefid": "general_incorrect_fb"},
        )

    _feedback(element, "general_fb", item.solution)
    if incorrect:
        _feedback(element, "general_incorrect_fb", incorrect)
    for option_ident, html in comments.items():
        _feedback(element, f"{option_ident}_fb", html)
    return element


def _feedback(item_el: ET.Element, ident: str, html: str) -> None:
    _material(Q.el(Q.el(item_el, "itemfeedback", {"ident": ident}), "flow_mat"), html)


def _option_comments(item: ExportVariant) -> dict[str, str]:
    """Option ident → the comment on choosing it, for every wrong option that has one."""
    ident = item_id(item)
    answer = item.answer
    if answer.kind == "choice":
        return {f"{ident}_{letter}": html for letter, html in option_feedback(item.variant).items()}
    if answer.kind == "bool":
        why = statement_feedback(item.variant)
        return {f"{ident}_{'false' if answer.value else 'true'}": why} if why else {}
    return {}


def mistakes_html(item: ExportVariant) -> str:
    """The named mistakes of a numeric or fill-in item: each wrong value and what went wrong."""
    kind = item.answer.kind
    return "".join(
        f"<p>If you answered {option_html(kind, m.value)}: {m.explanation}</p>"
        for m in mistake_values(item.variant)
    )


def assessment_xml(spec: Spec, seed: int, pools: list[Pool]) -> bytes:
    root = Q.el(
        None,
        "questestinterop",
        {"xmlns:xsi": XSI_NS, "xsi:schemaLocation": f"{QTI_NS} {QTI_NS}p1.xsd"},
    )
    assessment = Q.el(root, "assessment", {"ident": assessment_id(spec, seed), "title": spec.title})
    meta = Q.el(assessment, "qtimetadata")
    field = Q.el(meta, "qtimetadatafield")
    Q.el(field, "fieldlabel", text="cc_maxattempts")
    Q.el(field, "fieldentry", text="1")
    root_section = Q.el(assessment, "section", {"ident": "root_section"})
    for pool in pools:
        group = Q.el(
            root_section,
            "section",
            {"ident": _ident(f"examgen_q{pool.number}"), "title": f"Question {pool.number}"},
        )
        selection = Q.el(Q.el(group, "selection_ordering"), "selection")
        Q.el(selection, "selection_number", text="1")
        Q.el(
            Q.el(selection, "selection_extension"), "points_per_item", text=points_text(pool.points)
        )
        for item in pool.variants:
            group.append(xml_safe(item_element(item, spec.grading), item))
    return serialise(root)


def assessment_meta_xml(spec: Spec, seed: int, pools: list[Pool]) -> bytes:
    """Canvas's quiz settings: title, instructions, and answers kept in the key's order."""
    c = _Builder(CANVAS_NS)
    quiz = c.el(None, "quiz", {"identifier": assessment_id(spec, seed)})
    total = sum(pool.points for pool in pools)
    description = quiz_instructions(spec, pools)
    for tag, text in (
        ("title", spec.title),
        ("description", description),
        ("shuffle_answers", "false"),
        ("scoring_policy", "keep_highest"),
        ("quiz_type", "assignment"),
        ("points_possible", points_text(total)),
        ("show_correct_answers", "true"),
        ("allowed_attempts", "1"),
    ):
        c.el(quiz, tag, text=text)
    return serialise(quiz)


def quiz_instructions(spec: Spec, pools: list[Pool]) -> str:
    """How this quiz takes answers, in place of the spec's instructions (written for paper: "give
    exact fractions" is wrong where a numeric field refuses 7/3)."""
    kinds = {item.answer.kind for pool in pools for item in pool.variants}
    rule = spec.grading.describe()
    lines = []
    if "number" in kinds:
        lines.append(
            f"Enter a single number as a decimal rounded to {rule}: the number field does not "
            "take fractions such as 7/3."
        )
    if "vector" in kinds:
        lines.append(
            f"Fill each blank of a vector with a fraction such as 7/3 or a decimal rounded to "
            f"{rule}."
        )
    if kinds & {"choice", "bool"}:
        lines.append("Choose one answer in each multiple-choice and true/false question.")
    return "".join(f"<p>{escape_html(line)}</p>" for line in lines)


def manifest_xml(spec: Spec, seed: int) -> bytes:
    ident = assessment_id(spec, seed)
    assessment, settings = assessment_files(ident)
    m = _Builder(CP_NS)
    manifest = m.el(None, "manifest", {"identifier": f"{ident}_manifest"})
    metadata = m.el(manifest, "metadata")
    m.el(metadata, "schema", text="IMS Content")
    m.el(metadata, "schemaversion", text="1.1.3")
    m.el(manifest, "organizations")
    resources = m.el(manifest, "resources")
    resource = m.el(resources, "resource", {"identifier": ident, "type": "imsqti_xmlv1p2"})
    m.el(resource, "file", {"href": assessment})
    m.el(resource, "dependency", {"identifierref": f"{ident}_meta"})
    meta = m.el(
        resources,
        "resource",
        {
            "identifier": f"{ident}_meta",
            "type": "associatedcontent/imscc_xmlv1p1/learning-application-resource",
            "href": settings,
        },
    )
    m.el(meta, "file", {"href": settings})
    return serialise(manifest)


def is_qti_export(path: Path) -> bool:
    """Whether ``path`` is a zip ``qti_zip`` wrote: its manifest and one assessment's files
    (``assessment_files``), nothing else (a course export from Canvas holds other files)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (OSError, zipfile.BadZipFile):
        return False
    folders = {name.split("/")[0] for name in names if name != MANIFEST}
    if len(folders) != 1:
        return False
    (ident,) = folders
    return ident.startswith(ASSESSMENT_PREFIX) and names == [MANIFEST, *assessment_files(ident)]


def qti_zip(spec: Spec, seed: int, pools: list[Pool]) -> bytes:
    assessment, settings = assessment_files(assessment_id(spec, seed))
    files = {
        MANIFEST: manifest_xml(spec, seed),
        assessment: assessment_xml(spec, seed, pools),
        settings: assessment_meta_xml(spec, seed, pools),
    }
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()
