"""scripts/canvas.py: the definition, exported values, Markdown, the fillable PDF and the CLI."""

import io
import json
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from conftest import ROOT, load_canvas_tool

SCRIPT = ROOT / "scripts" / "canvas.py"
MULTILINE = 1 << 12  # /Ff bit 13 of a text field


tool = load_canvas_tool()
DEFINITION = tool.load_definition()
SECTION_IDS = [s["id"] for s in DEFINITION["sections"]]
HEADER_IDS = [h["id"] for h in DEFINITION["header"]]

TINY = """\
name: tiny-canvas
title: Tiny Canvas
version: 3
header:
  - {id: project, label: Project}
  - {id: owner, label: Owner}
sections:
  - id: users
    title: Users
    questions:
      - Who uses it?
      - What do they do today?
    hint: Start here.
  - id: metric
    title: Metric
    questions:
      - Which number moves?
    hint: One number.
    chapter: guide.md#metrics
"""


def write_definition(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "canvas.yml"
    path.write_text(textwrap.dedent(text))
    return path


def export(**parts) -> dict:
    return {"canvas": "mlsd-canvas", "version": 1, **parts}


def fields_of(pdf: bytes) -> dict:
    return PdfReader(io.BytesIO(pdf)).get_fields()


# --- the definition ---------------------------------------------------------------------------


def test_definition_has_the_fifteen_sections_in_order():
    assert DEFINITION["name"] == "mlsd-canvas" and DEFINITION["version"] == 1
    assert HEADER_IDS == ["project", "authors", "date", "version"]
    assert SECTION_IDS == [
        "background",
        "value",
        "framing",
        "constraints",
        "decisions",
        "data",
        "labels",
        "features",
        "privacy",
        "baselines",
        "modelling",
        "evaluation",
        "serving",
        "monitoring",
        "risks",
    ]
    assert all(len(s["questions"]) >= 1 and s["hint"] for s in DEFINITION["sections"])


@pytest.mark.parametrize(
    "edit, message",
    [
        (
            lambda t: t.replace("id: metric", "id: users"),
            "section 2: duplicate id 'users'",
        ),
        (
            lambda t: t.replace("    questions:\n      - Which number moves?\n", ""),
            "section 2 (metric): missing 'questions'",
        ),
        (
            lambda t: t.replace("\n      - Which number moves?", " []"),
            "section 2 (metric): 'questions' must be a non-empty list",
        ),
        (
            lambda t: t.replace("\n      - Which number moves?", " Which number moves?"),
            "section 2 (metric): 'questions' must be a non-empty list",
        ),
        (lambda t: t.replace("id: metric", "id: Metric"), "section 2: 'id' must match"),
        (lambda t: t.replace("id: owner", "id: users"), "section 1: duplicate id 'users'"),
        (lambda t: t.replace("hint: One number.", "hints: One number."), "missing 'hint'"),
        (lambda t: t + "    owner: me\n", "section 2 (metric): unknown key 'owner'"),
        (lambda t: t.replace("guide.md#metrics", "guide"), "'chapter' must be a page"),
        (lambda t: t.replace("version: 3", "version: three"), "'version' must be a whole"),
        (lambda t: t.replace("title: Tiny Canvas\n", ""), "missing 'title'"),
        (lambda t: t.replace("  - Who uses it?", "  - Who uses it?: [x"), "not valid YAML"),
    ],
)
def test_broken_definition_names_the_file_and_the_place(tmp_path, edit, message):
    path = write_definition(tmp_path, edit(TINY))
    with pytest.raises(tool.CanvasError) as error:
        tool.load_definition(path)
    assert str(error.value).startswith(f"{path}: ")
    assert message in str(error.value)


def test_yaml_syntax_error_gives_line_and_column(tmp_path):
    broken = TINY.replace("  - id: metric", "  - id: metric: x")
    line = broken.splitlines().index("  - id: metric: x") + 1
    path = write_definition(tmp_path, broken)
    with pytest.raises(tool.CanvasError, match=rf"not valid YAML: .* \(line {line}, column 15\)"):
        tool.load_definition(path)


def test_missing_definition_file_is_named(tmp_path):
    with pytest.raises(tool.CanvasError, match=re.escape(f"{tmp_path / 'nope.yml'}: no such")):
        tool.load_definition(tmp_path / "nope.yml")


# --- exported values --------------------------------------------------------------------------


def test_values_fill_every_field_and_normalise_line_endings():
    values = tool.validate_values(
        DEFINITION,
        export(header={"project": "Fraud"}, sections={"labels": "a\r\nb\rc"}),
        "x.json",
    )
    assert values["header"] == {"project": "Fraud", "authors": "", "date": "", "version": ""}
    assert list(values["sections"]) == SECTION_IDS
    assert values["sections"]["labels"] == "a\nb\nc"
    assert values["sections"]["background"] == ""


@pytest.mark.parametrize(
    "data, message",
    [
        ([], "x.json: expected a JSON object, found a list"),
        ({"version": 1}, 'x.json: not an ML canvas file: "canvas" is missing'),
        (export(canvas="other-canvas"), '"canvas" is "other-canvas", expected "mlsd-canvas"'),
        (export(version=2), "x.json: canvas version 2 is not supported, expected 1"),
        (export(version="1"), 'canvas version "1" is not supported'),
        (export(version=True), "canvas version true is not supported"),
        (export(notes="hi"), "x.json: unknown key 'notes' (allowed: canvas, header, sections"),
        (export(sections=[]), "x.json: 'sections' must be an object mapping ids to text, found"),
        (export(sections={"labels": 3}), "x.json: sections.labels must be a string, found a num"),
        (export(header={"date": None}), "x.json: header.date must be a string, found null"),
        (export(sections={"labels": ["a"]}), "sections.labels must be a string, found a list"),
    ],
)
def test_foreign_or_malformed_values_are_refused(data, message):
    with pytest.raises(tool.CanvasError) as error:
        tool.validate_values(DEFINITION, data, "x.json")
    assert message in str(error.value)


def test_unknown_section_is_named_with_the_known_ids():
    with pytest.raises(tool.CanvasError) as error:
        tool.validate_values(DEFINITION, export(sections={"bakground": "x"}), "x.json")
    assert str(error.value) == (
        f"x.json: unknown section 'bakground' (known: {', '.join(SECTION_IDS)})"
    )
    with pytest.raises(tool.CanvasError, match=r"unknown header field 'team' \(known: project, "):
        tool.validate_values(DEFINITION, export(header={"team": "x"}), "x.json")


def test_read_values_reports_json_errors_with_position(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "canvas": "mlsd-canvas",\n  "version": 1,,\n}')
    with pytest.raises(tool.CanvasError) as error:
        tool.read_values(bad, DEFINITION)
    assert str(error.value) == f"{bad}: not valid JSON: Expecting property name enclosed in " + (
        "double quotes (line 3, column 16)"
    )
    with pytest.raises(tool.CanvasError, match="no such file"):
        tool.read_values(tmp_path / "missing.json", DEFINITION)
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(tool.CanvasError, match="not UTF-8 text"):
        tool.read_values(binary, DEFINITION)


# --- Markdown ---------------------------------------------------------------------------------


def test_markdown_matches_the_format_exactly(tmp_path):
    definition = tool.load_definition(write_definition(tmp_path, TINY))
    values = {
        "header": {"project": "  Churn  ", "owner": ""},
        "sections": {"users": "\nShop owners.\n\nThey export CSVs.\n\n", "metric": "  "},
    }
    assert tool.to_markdown(definition, values) == (
        "# Tiny Canvas\n"
        "\n"
        "- **Project:** Churn\n"
        "- **Owner:**\n"
        "\n"
        "## 1. Users\n"
        "\n"
        "> Who uses it?\n"
        "> What do they do today?\n"
        "\n"
        "Shop owners.\n"
        "\n"
        "They export CSVs.\n"
        "\n"
        "## 2. Metric\n"
        "\n"
        "> Which number moves?\n"
    )
    blank = tool.to_markdown(definition)
    assert blank.endswith("> Which number moves?\n") and "- **Project:**\n" in blank


# --- the PDF ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def blank_a3() -> bytes:
    return tool.build_pdf(DEFINITION, size="A3")


@pytest.fixture(scope="module")
def sample_values() -> dict:
    sections = {sid: f"Answer for {sid}." for sid in SECTION_IDS}
    sections["background"] = "Analysts review 4% by hand.\n\nZoë's café — naïve → ≥ 😀 (a\\b)"
    sections["value"] = "A long answer that must wrap and shrink. " * 40
    header = {"project": "Fraud — Ødegård", "authors": "Łukasz", "date": "", "version": "0.3"}
    return tool.validate_values(DEFINITION, export(header=header, sections=sections), "test")


def test_blank_pdf_is_one_landscape_page_with_a_field_per_id(blank_a3):
    reader = PdfReader(io.BytesIO(blank_a3))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)
    fields = reader.get_fields()
    assert set(fields) == set(SECTION_IDS + HEADER_IDS)
    assert all(field["/FT"] == "/Tx" for field in fields.values())
    for sid in SECTION_IDS:
        assert int(fields[sid]["/Ff"]) & MULTILINE, sid
    for hid in HEADER_IDS:
        assert not int(fields[hid].get("/Ff", 0)) & MULTILINE, hid
    assert "/MaxLen" not in fields["background"]  # no cap on what a reader may write


@pytest.mark.parametrize("size, width, height", [("A4", 841.89, 595.28), ("Letter", 792, 612)])
def test_other_sizes_are_landscape_pages_of_that_size(size, width, height):
    box = PdfReader(io.BytesIO(tool.build_pdf(DEFINITION, size=size))).pages[0].mediabox
    assert float(box.width) == pytest.approx(width, abs=0.5)
    assert float(box.height) == pytest.approx(height, abs=0.5)


@pytest.mark.parametrize("size", list(tool.PAGE_SIZES))
def test_layout_is_legible_and_nothing_overlaps(size):
    plan = tool.layout(DEFINITION, size)
    width, height = plan.page
    assert min(text.size for text in plan.texts) >= 6
    boxes = [field.box for field in plan.fields]
    for box in boxes:
        assert box.x > 0 and box.x + box.w < width and box.y > 0 and box.y + box.h < height
    for n, a in enumerate(boxes):
        for b in boxes[n + 1 :]:
            apart = a.x + a.w <= b.x or b.x + b.w <= a.x or a.y + a.h <= b.y or b.y + b.h <= a.y
            assert apart, (a, b)
    for field, cell in zip(plan.fields[len(HEADER_IDS) :], plan.cells, strict=True):
        assert field.box.h >= tool.MIN_FIELD_LINES * field.size * tool.LEADING
        assert cell.x <= field.box.x and field.box.x + field.box.w <= cell.x + cell.w
    for text in plan.texts:  # every line fits the page width
        for line in text.lines:
            assert text.x + tool.stringWidth(line, text.font, text.size) < width - 1


def test_section_that_leaves_no_room_to_write_is_a_layout_error(tmp_path):
    long_question = "Why " + "really " * 3000 + "?"
    definition = tool.load_definition(
        write_definition(tmp_path, TINY.replace("Which number moves?", long_question))
    )
    with pytest.raises(tool.CanvasError, match=r"section 2 \(metric\): .* too little room"):
        tool.build_pdf(definition, size="A4")


def test_values_typed_into_the_blank_pdf_read_back_intact(blank_a3):
    typed = {"background": "line one\nline two\n\nZoë, café, naïve, Ørsted", "project": "Ünïcode"}
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(blank_a3)))
    writer.update_page_form_field_values(writer.pages[0], typed)
    out = io.BytesIO()
    writer.write(out)
    read = PdfReader(io.BytesIO(out.getvalue())).get_form_text_fields()
    assert read["background"] == typed["background"]
    assert read["project"] == typed["project"]


def test_filled_pdf_holds_the_exact_values(sample_values):
    read = PdfReader(io.BytesIO(tool.build_pdf(DEFINITION, sample_values))).get_form_text_fields()
    for part in ("header", "sections"):
        for key, value in sample_values[part].items():
            assert (read[key] or "") == value, key


def appearance(pdf: bytes, name: str) -> tuple[str, str]:
    """The drawn text of a field's appearance stream and its /DA font size."""
    for annot in PdfReader(io.BytesIO(pdf)).pages[0]["/Annots"]:
        annot = annot.get_object()
        if annot["/T"] == name:
            stream = annot["/AP"]["/N"].get_object().get_data().decode("latin-1")
            return stream, annot["/DA"]
    raise KeyError(name)


def test_appearance_substitutes_what_helvetica_cannot_draw(sample_values):
    stream, _ = appearance(tool.build_pdf(DEFINITION, sample_values), "background")
    shown = re.findall(r"\((.*)\) Tj", stream)
    assert shown[0] == "Analysts review 4\\045 by hand."
    assert shown[1] == ""  # the blank line between paragraphs is kept
    assert shown[2] == "Zo\\353's caf\\351 \\204 na\\357ve -> >= ? \\(a\\\\b\\)"


def test_long_answers_wrap_inside_the_box_and_shrink_to_fit(sample_values):
    pdf = tool.build_pdf(DEFINITION, sample_values)
    stream, da = appearance(pdf, "value")
    size = int(re.search(r"/Helv (\d+) Tf", da).group(1))
    assert size < tool.STYLES["A3"].field
    field = next(f for f in tool.layout(DEFINITION).fields if f.name == "value")
    lines = re.findall(r"\((.*)\) Tj", stream)
    assert len(lines) > 5
    assert len(lines) * size * tool.LEADING <= field.box.h
    assert all(tool.stringWidth(line, "Helvetica", size) <= field.box.w - 8 for line in lines)


@pytest.mark.parametrize(
    "text, drawn",
    [
        ("café — “quoted” • €5 … ™", "café — “quoted” • €5 … ™"),
        ("a → b ≤ c", "a -> b <= c"),
        ("Dvořák, Łódź, Őrs", "Dvorák, Łódz, Ors"),
        ("tab\tand\u00a0no-break, soft\u00adhyphen", "tab and no-break, softhyphen"),
        ("emoji 😀 and 漢字", "emoji ? and ??"),
    ],
)
def test_printable_text_keeps_what_the_font_has(text, drawn):
    assert tool.printable(text) == drawn


def test_wrap_breaks_words_longer_than_the_line():
    lines = tool.wrap("see https://example.com/" + "x" * 200, "Helvetica", 9, 100)
    assert len(lines) > 3 and lines[0] == "see"
    assert all(tool.stringWidth(line, "Helvetica", 9) <= 100 for line in lines)
    assert "".join(lines[1:]) == "https://example.com/" + "x" * 200


def test_same_input_gives_the_same_bytes(sample_values):
    assert tool.build_pdf(DEFINITION) == tool.build_pdf(DEFINITION)
    once = tool.build_pdf(DEFINITION, sample_values, "A4")
    assert once == tool.build_pdf(DEFINITION, sample_values, "A4")
    assert once != tool.build_pdf(DEFINITION, size="A4")


def qpdf() -> str:
    path = shutil.which("qpdf") or ("/usr/bin/qpdf" if Path("/usr/bin/qpdf").exists() else None)
    if path is None:
        pytest.fail(
            "qpdf is not installed: `make test` installs it (scripts/ensure-system-packages.sh)"
        )
    return path


@pytest.mark.parametrize("filled", [False, True])
def test_qpdf_finds_no_structural_error(tmp_path, sample_values, filled):
    pdf = tmp_path / "canvas.pdf"
    pdf.write_bytes(tool.build_pdf(DEFINITION, sample_values if filled else None))
    done = subprocess.run([qpdf(), "--check", str(pdf)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No syntax or stream encoding errors" in done.stdout


# --- command line -----------------------------------------------------------------------------


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], cwd=cwd, capture_output=True, text=True, timeout=60
    )


def test_cli_fill_writes_an_editable_pdf_identical_to_the_library(tmp_path, sample_values):
    (tmp_path / "mine.json").write_text(json.dumps(export(**sample_values)), encoding="utf-8")
    done = cli("fill", "mine.json", "-o", "mine.pdf", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    pdf = (tmp_path / "mine.pdf").read_bytes()
    assert pdf == tool.build_pdf(DEFINITION, sample_values)  # also across processes
    assert fields_of(pdf)["background"]["/V"] == sample_values["sections"]["background"]

    done = cli("fill", "mine.json", "-o", "mine-a4.pdf", "--size", "A4", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "mine-a4.pdf").read_bytes() == tool.build_pdf(
        DEFINITION, sample_values, "A4"
    )


def test_cli_blank_and_markdown(tmp_path, sample_values):
    assert cli("blank", "-o", "blank.pdf", cwd=tmp_path).returncode == 0
    assert (tmp_path / "blank.pdf").read_bytes() == tool.build_pdf(DEFINITION)
    (tmp_path / "mine.json").write_text(json.dumps(export(**sample_values)), encoding="utf-8")
    assert cli("markdown", "mine.json", "-o", "mine.md", cwd=tmp_path).returncode == 0
    expected = tool.to_markdown(DEFINITION, sample_values)
    assert (tmp_path / "mine.md").read_text(encoding="utf-8") == expected
    done = cli("markdown", "-o", "-", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout == tool.to_markdown(DEFINITION)


@pytest.mark.parametrize(
    "content, message",
    [
        ('{"canvas": "mlsd-canvas",', "error: in.json: not valid JSON: Expecting property name"),
        ('{"canvas": "figma", "version": 1}', 'error: in.json: not an ML canvas file: "canvas"'),
        (
            '{"canvas": "mlsd-canvas", "version": 1, "sections": {"costs": "x"}}',
            "error: in.json: unknown section 'costs' (known: background, value, framing,",
        ),
        (None, "error: in.json: no such file"),
    ],
)
def test_cli_errors_are_one_line_with_exit_status_2(tmp_path, content, message):
    if content is not None:
        (tmp_path / "in.json").write_text(content)
    for command in (["fill", "in.json", "-o", "out.pdf"], ["markdown", "in.json", "-o", "o.md"]):
        done = cli(*command, cwd=tmp_path)
        assert done.returncode == 2
        assert done.stderr.startswith(message), done.stderr
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert not (tmp_path / "out.pdf").exists() and not (tmp_path / "o.md").exists()
