"""The browser canvas (docs/assets/canvas.js, canvas-pdf.js and canvas.css) on the built site, in
Debian's headless Chromium driven by Playwright.

The form comes from scripts/hooks/canvas.py; these tests check what a reader can do with it:
autosave, export, import with validation, ?load=<case study>, a filled PDF made in the browser,
clear, print on one A3 page, and that nothing typed or imported is ever treated as HTML. The
site is served from a copy of the build that holds one extra, test-only case study, so the ?load
tests do not depend on what the published case studies say.
"""

import io
import json
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from playwright.sync_api import expect
from pypdf import PdfReader

from conftest import ROOT, load_canvas_tool, other_hosts
from conftest import new_page as new_browser_page

STORAGE_KEY = "mlsd-canvas:v1"
BLANK_PDF = "canvas/ml-system-design-canvas-a3.pdf"  # the PDF that "Download PDF" fills
QPDF = "/usr/bin/qpdf"
TEST_STUDY = "browser-test-study"  # written into the served copy only, never into docs/
MM = 72 / 25.4  # PDF points per millimetre

DEFINITION = yaml.safe_load((ROOT / "docs" / "canvas" / "canvas.yml").read_text(encoding="utf-8"))
HEADER_IDS = [field["id"] for field in DEFINITION["header"]]
SECTION_IDS = [section["id"] for section in DEFINITION["sections"]]


def canvas_file(header=None, sections=None, **overrides) -> dict:
    data = {
        "canvas": DEFINITION["name"],
        "version": DEFINITION["version"],
        "header": header or {},
        "sections": sections or {},
    }
    return {**data, **overrides}


def json_bytes(data) -> bytes:
    return json.dumps(data).encode()


STUDY = canvas_file(
    header={"project": "Test study: parcel delivery ETA", "date": "2025-01-31"},
    sections={
        "background": "Couriers promise a window.\nCustomers wait at home.",
        "risks": "Weather; holiday peaks.",
    },
)


# --- fixtures: the shared server and browser from conftest.py --------------------------------


@pytest.fixture(scope="module")
def site(site_server) -> Path:
    """The served copy of the built site, plus one test-only case study JSON."""
    study = site_server.root / "case-studies" / f"{TEST_STUDY}.canvas.json"
    study.parent.mkdir(exist_ok=True)
    study.write_bytes(json_bytes(STUDY))
    return site_server.root


@pytest.fixture(scope="module")
def server(site, site_server) -> str:
    return site_server.url


def new_page(browser, color_scheme="light"):
    return new_browser_page(browser, color_scheme=color_scheme, accept_downloads=True)


@pytest.fixture
def page(browser, server):
    page = new_page(browser)
    yield page
    page.context.close()


# --- helpers ----------------------------------------------------------------------------------


def assert_clean(page, allowed_error_prefix=None):
    """No request left the loopback server, and the console holds no error or warning."""
    page.wait_for_load_state("networkidle")
    assert not other_hosts(page.requests), other_hosts(page.requests)
    errors = [
        e for e in page.errors if not (allowed_error_prefix and e.startswith(allowed_error_prefix))
    ]
    assert errors == []
    assert page.warnings == []


def answer_dialogs(page, accept: bool):
    """Accept or dismiss every confirm() from now on (each message is recorded)."""
    page.accept_dialogs = accept


def open_canvas(page, server, query=""):
    page.goto(f"{server}/canvas/{query}")
    # canvas.js adds one print mirror per field when it has wired the form up
    page.wait_for_selector("form.mlsd-canvas .mlsd-canvas__print", state="attached")


def fill(page, header=None, sections=None):
    for key, text in (header or {}).items():
        page.fill(f"form.mlsd-canvas [name='header.{key}']", text)
    for key, text in (sections or {}).items():
        page.fill(f"form.mlsd-canvas [name='sections.{key}']", text)


def form_values(page) -> dict:
    return page.evaluate(
        """() => {
            const values = {header: {}, sections: {}};
            for (const el of document.querySelectorAll("form.mlsd-canvas [name]")) {
                const [part, key] = el.name.split(".");
                if (part in values) values[part][key] = el.value;
            }
            return values;
        }"""
    )


def expected_values(header=None, sections=None) -> dict:
    """What the form should hold: every field, empty unless given."""
    header, sections = header or {}, sections or {}
    return {
        "header": {key: header.get(key, "") for key in HEADER_IDS},
        "sections": {key: sections.get(key, "") for key in SECTION_IDS},
    }


def stored(page):
    raw = page.evaluate(f"localStorage.getItem({STORAGE_KEY!r})")
    return None if raw is None else json.loads(raw)


def status(page):
    return page.locator("form.mlsd-canvas .mlsd-canvas__status")


def click_action(page, action):
    page.click(f"form.mlsd-canvas button[data-action={action}]")


def import_file(page, name: str, content: bytes):
    page.set_input_files(
        "form.mlsd-canvas input[data-action=import-json]",
        files=[{"name": name, "mimeType": "application/json", "buffer": content}],
    )


# --- the form, as the hook renders it ---------------------------------------------------------


def test_form_has_every_field_and_import_is_reachable_by_keyboard(page, server):
    # Chromium intercepts file pickers for Playwright only if asked before the page loads
    page.on("filechooser", lambda chooser: None)
    open_canvas(page, server)
    form = page.locator("form.mlsd-canvas")
    assert form.get_attribute("data-canvas-name") == DEFINITION["name"]
    assert form.get_attribute("data-canvas-version") == str(DEFINITION["version"])
    assert form_values(page) == expected_values()
    assert page.locator(".mlsd-canvas__section").count() == len(SECTION_IDS)

    # the file input is hidden inside its label: the label takes focus and opens the picker
    label = page.locator("form.mlsd-canvas label:has(input[data-action=import-json])")
    label.focus()
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Enter")
    assert chooser.value.element.get_attribute("data-action") == "import-json"
    assert_clean(page)


# --- autosave ---------------------------------------------------------------------------------


def test_typed_text_survives_reload_and_instant_navigation(page, server):
    header = {"project": "Churn early warning", "authors": "A. Reader"}
    sections = {
        "background": "Account managers call customers\nafter they have left.",
        "value": "Retain 2% more accounts per quarter.",
        "risks": "Sales ignores the scores.",
    }
    open_canvas(page, server)
    fill(page, header, sections)
    assert stored(page) == canvas_file(**expected_values(header, sections))

    page.reload()
    page.wait_for_selector("form.mlsd-canvas .mlsd-canvas__print", state="attached")
    assert form_values(page) == expected_values(header, sections)

    # Material's instant navigation: away and back without reloading canvas.js
    page.evaluate("window.__sameDocument = true")
    page.locator("a.md-nav__link[href$='/model-development/']").first.click()
    page.wait_for_url(f"{server}/model-development/")
    page.locator("a.md-nav__link[href$='/canvas/']").first.click()
    page.wait_for_url(f"{server}/canvas/")
    page.wait_for_selector("form.mlsd-canvas .mlsd-canvas__print", state="attached")
    assert page.evaluate("window.__sameDocument") is True  # no reload: instant navigation
    assert form_values(page) == expected_values(header, sections)

    # one click, one download: the revisited page did not get a second set of listeners
    downloads = []
    page.on("download", lambda download: downloads.append(download))
    with page.expect_download():
        click_action(page, "export-json")
    page.wait_for_timeout(300)  # room for a duplicate download to show up, not a timing check
    assert len(downloads) == 1
    assert_clean(page)


# --- export -----------------------------------------------------------------------------------


def test_export_json_downloads_the_canvas_format(page, server):
    header = {"project": "Fraud review queue", "version": "0.3"}
    sections = {"framing": "Binary: fraud or not, per payment,\nat authorisation time."}
    open_canvas(page, server)
    fill(page, header, sections)
    with page.expect_download() as info:
        click_action(page, "export-json")
    download = info.value
    assert download.suggested_filename == "ml-system-design-canvas.json"
    exported = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert exported == canvas_file(**expected_values(header, sections))
    assert list(exported["sections"]) == SECTION_IDS  # in the definition's order
    assert_clean(page)


# every character Python's strip() strips, less "\r", which a textarea turns into "\n"
PY_SPACES = "".join(c for c in map(chr, range(0x110000)) if c.isspace() and c != "\r")

TRICKY = {
    "header": {
        "project": "  Payments \u00a0",  # a no-break space: Python's strip() removes it
        "authors": "",
        "date": "2025-02-03",
        "version": " ",
    },
    "sections": {
        "background": "\n\n  Line one\n\n  line two, indented  \n\n",
        "value": "**Bold?** No: <em>text</em> & `code` stay as typed",
        "framing": "\ufeffBOM first",  # Python keeps U+FEFF; JavaScript's trim() would not
        "constraints": f"{PY_SPACES}every kind of space around{PY_SPACES}",
        "risks": "Last section, no trailing newline",
    },
}


def test_export_markdown_matches_to_markdown_byte_for_byte(page, server):
    to_markdown = load_canvas_tool().to_markdown
    open_canvas(page, server)

    with page.expect_download() as info:
        click_action(page, "export-markdown")
    blank = Path(info.value.path()).read_bytes()
    assert blank == to_markdown(DEFINITION, expected_values()).encode()

    fill(page, TRICKY["header"], TRICKY["sections"])
    values = form_values(page)
    assert values == expected_values(TRICKY["header"], TRICKY["sections"])
    with page.expect_download() as info:
        click_action(page, "export-markdown")
    assert info.value.suggested_filename == "ml-system-design-canvas.md"
    assert Path(info.value.path()).read_bytes() == to_markdown(DEFINITION, values).encode()
    assert_clean(page)


# --- download a filled PDF -------------------------------------------------------------------


def download_pdf(page) -> bytes:
    with page.expect_download() as info:
        click_action(page, "export-pdf")
    assert info.value.suggested_filename == "ml-system-design-canvas.pdf"
    return Path(info.value.path()).read_bytes()


def check_with_qpdf(pdf: bytes, tmp_path: Path):
    path = tmp_path / "downloaded.pdf"
    path.write_bytes(pdf)
    done = subprocess.run([QPDF, "--check", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr  # 3 would mean warnings
    assert "WARNING" not in done.stdout + done.stderr
    assert "No syntax or stream encoding errors" in done.stdout


def field_kinds(reader: PdfReader) -> dict:
    """Each field's name, type and flags (multiline or not): what makes it the same form."""
    return {name: (f.get("/FT"), f.get("/Ff")) for name, f in reader.get_fields().items()}


def test_download_pdf_holds_exactly_what_was_typed_and_stays_editable(page, server, site, tmp_path):
    header = {"project": "Tarifs de livraison à Zürich → €", "date": "2025-03-04"}
    sections = {
        "background": "Kunden in Köln warten drei Tage.\n\nLatency ≤ 50 ms → p99\n“Quoted” — ok",
        "risks": "日本語のテキスト; £, ¥ and 😀.",
    }
    blank = (site / BLANK_PDF).read_bytes()
    open_canvas(page, server)
    fill(page, header, sections)
    pdf = download_pdf(page)
    expect(status(page)).to_contain_text("Downloaded ml-system-design-canvas.pdf")

    # an incremental update: the blank file is untouched at the start of the new one
    assert pdf.startswith(blank) and len(pdf) > len(blank)
    reader, original = PdfReader(io.BytesIO(pdf)), PdfReader(io.BytesIO(blank))
    values = expected_values(header, sections)
    assert reader.get_form_text_fields() == {**values["header"], **values["sections"]}
    assert field_kinds(reader) == field_kinds(original)  # still the same fillable form
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert box == original.pages[0].mediabox and box.width > box.height
    # filled fields drop the blank appearance, and the reader is asked to draw them
    acroform = reader.trailer["/Root"]["/AcroForm"]
    assert acroform["/NeedAppearances"].value is True
    for field in (ref.get_object() for ref in acroform["/Fields"]):
        assert ("/AP" in field) == (field["/V"] == ""), field["/T"]
    check_with_qpdf(pdf, tmp_path)
    assert_clean(page)


def test_download_pdf_of_a_blank_canvas_has_every_field_empty(page, server, site, tmp_path):
    blank = (site / BLANK_PDF).read_bytes()
    open_canvas(page, server)
    pdf = download_pdf(page)
    assert pdf.startswith(blank)
    fields = PdfReader(io.BytesIO(pdf)).get_form_text_fields()
    assert fields == PdfReader(io.BytesIO(blank)).get_form_text_fields()
    assert set(fields) == {*HEADER_IDS, *SECTION_IDS} and set(fields.values()) == {""}
    check_with_qpdf(pdf, tmp_path)
    assert_clean(page)


def test_download_pdf_says_so_when_the_fill_map_is_missing(page, server):
    page.route("**/*.fields.json", lambda route: route.fulfill(status=404, body="not here"))
    downloads = []
    page.on("download", lambda download: downloads.append(download))
    open_canvas(page, server)
    fill(page, header={"project": "Kept"})
    click_action(page, "export-pdf")
    expect(status(page)).to_contain_text("Could not make the PDF")
    expect(status(page)).to_contain_text("404")
    expect(page.locator("form.mlsd-canvas button[data-action=export-pdf]")).to_be_enabled()
    assert downloads == []
    assert form_values(page) == expected_values(header={"project": "Kept"})
    assert_clean(
        page,
        allowed_error_prefix="Failed to load resource: the server responded with a status of 404",
    )


def test_download_pdf_refuses_a_pdf_that_its_fill_map_was_not_made_for(page, server, site):
    # a stale cache could pair an old PDF with a new fill map: the offsets would point nowhere
    other = (site / "canvas" / "ml-system-design-canvas-a4.pdf").read_bytes()
    page.route(f"**/{BLANK_PDF}", lambda route: route.fulfill(body=other))
    downloads = []
    page.on("download", lambda download: downloads.append(download))
    open_canvas(page, server)
    click_action(page, "export-pdf")
    expect(status(page)).to_contain_text("do not belong together")
    assert downloads == []
    assert_clean(page)


# --- import -----------------------------------------------------------------------------------


def test_import_fills_the_form_and_refuses_bad_files(page, server):
    header = {"project": "Imported project", "authors": "B. Writer"}
    sections = {"data": "Clickstream, 90 days.", "labels": "Chargebacks after 60 days."}
    open_canvas(page, server)
    fill(page, sections={"monitoring": "typed before the import"})
    import_file(page, "good.json", json_bytes(canvas_file(header, sections)))
    expect(status(page)).to_contain_text("Imported")
    good = expected_values(header, sections)  # the import replaces the whole canvas
    assert form_values(page) == good
    assert stored(page) == canvas_file(**good)

    refused = [
        ("broken.json", b'{"canvas": "mlsd-canvas", "header": ', ["not valid JSON"]),
        ("list.json", b"[1, 2]", ["not a canvas"]),
        ("foreign.json", json_bytes(canvas_file(canvas="bmc-canvas")), ['"bmc-canvas"']),
        ("future.json", json_bytes(canvas_file(version=2)), ['"version": 2']),
        (
            "unknown.json",
            json_bytes(canvas_file(sections={"background": "x", "sales-pitch": "y"})),
            ['"sales-pitch"', "background"],  # names the culprit, lists the known ids
        ),
        (
            "unknown-header.json",
            json_bytes(canvas_file(header={"owner": "me"})),
            ['"owner"', "project"],
        ),
        ("number.json", json_bytes(canvas_file(sections={"value": 42})), ["sections.value"]),
        ("parts.json", json_bytes(canvas_file(header=["project"])), ['"header"']),
        (
            "extra.json",
            json_bytes({**canvas_file(), "comments": "hi"}),
            ['"comments"'],
        ),
    ]
    for name, content, words in refused:
        import_file(page, name, content)
        expect(status(page)).to_contain_text(name)
        text = status(page).inner_text()
        assert "refused" in text and "not changed" in text, text
        for word in words:
            assert word in text, (name, word, text)
        assert status(page).get_attribute("data-state") == "error"
        assert form_values(page) == good, name
        assert stored(page) == canvas_file(**good), name

    # the same good file twice in a row is read twice (the input is reset after each import)
    fill(page, sections={"data": "edited after import"})
    import_file(page, "good.json", json_bytes(canvas_file(header, sections)))
    expect(status(page)).to_have_text('Imported "good.json".')
    assert form_values(page) == good
    assert_clean(page)


def test_imported_text_is_never_html(page, server):
    attack = '<img src=x onerror="window.__pwned=1"><b>bold</b>'
    header = {"project": attack}
    sections = {key: f"{key}: {attack}\n<script>window.__pwned=2</script>" for key in SECTION_IDS}
    open_canvas(page, server)
    import_file(page, "attack.json", json_bytes(canvas_file(header, sections)))
    expect(status(page)).to_contain_text("Imported")
    assert form_values(page) == expected_values(header, sections)

    form = page.locator("form.mlsd-canvas")
    assert form.locator("img, b, script").count() == 0
    mirrors = form.locator(".mlsd-canvas__section .mlsd-canvas__print")
    assert mirrors.count() == len(SECTION_IDS)
    assert mirrors.first.text_content() == sections[SECTION_IDS[0]]

    # a file name is shown as text too
    import_file(page, '<img src=x onerror="window.__pwned=3">.json', b"{")
    expect(status(page)).to_contain_text('<img src=x onerror="window.__pwned=3">.json')
    assert form.locator("img").count() == 0

    page.wait_for_timeout(300)  # give a wrongly created <img> time to fail and fire onerror
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert_clean(page)


# --- ?load=<case study> -----------------------------------------------------------------------


def test_load_fills_an_empty_canvas_without_asking(page, server):
    answer_dialogs(page, accept=False)
    open_canvas(page, server, f"?load={TEST_STUDY}")
    expect(status(page)).to_contain_text(f'Loaded the case study "{TEST_STUDY}"')
    assert page.dialogs == []
    assert form_values(page) == expected_values(STUDY["header"], STUDY["sections"])
    assert stored(page) == canvas_file(**expected_values(STUDY["header"], STUDY["sections"]))
    assert "load=" not in page.url  # a reload does not load (and ask) again
    assert_clean(page)


def test_load_link_followed_by_instant_navigation(page, server):
    """A "Load" link on a page is followed by Material without reloading: canvas.js must read
    ?load= from the new address when document$ reports the new page."""
    open_canvas(page, server)
    page.evaluate(
        """name => {
            window.__sameDocument = true;
            const link = document.createElement("a");
            link.id = "test-load-link";
            link.href = `?load=${name}`;
            link.textContent = "Load";
            document.querySelector(".md-content__inner").prepend(link);
        }""",
        TEST_STUDY,
    )
    page.click("#test-load-link")
    expect(status(page)).to_contain_text(f'Loaded the case study "{TEST_STUDY}"')
    assert page.evaluate("window.__sameDocument") is True
    assert form_values(page) == expected_values(STUDY["header"], STUDY["sections"])
    assert_clean(page)


def test_load_asks_before_replacing_a_canvas_with_text(page, server):
    mine = {"background": "My own notes, not to be lost."}
    open_canvas(page, server)
    fill(page, sections=mine)

    answer_dialogs(page, accept=False)
    open_canvas(page, server, f"?load={TEST_STUDY}")
    expect(status(page)).to_contain_text("was not loaded")
    assert len(page.dialogs) == 1 and TEST_STUDY in page.dialogs[0]
    assert form_values(page) == expected_values(sections=mine)
    assert stored(page) == canvas_file(**expected_values(sections=mine))

    answer_dialogs(page, accept=True)
    open_canvas(page, server, f"?load={TEST_STUDY}")
    expect(status(page)).to_contain_text("Loaded the case study")
    assert len(page.dialogs) == 2
    assert form_values(page) == expected_values(STUDY["header"], STUDY["sections"])
    assert_clean(page)


@pytest.mark.parametrize("name", ["../../etc", "..%2F..%2Fetc%2Fpasswd", "Payment_Fraud", ""])
def test_load_refuses_a_bad_name_without_fetching(page, server, name):
    open_canvas(page, server, f"?load={name}")
    expect(status(page)).to_contain_text("Refused to load")
    page.wait_for_load_state("networkidle")
    fetched = [u for u in page.requests if "canvas.json" in u or "etc" in urlsplit(u).path]
    assert fetched == []
    assert form_values(page) == expected_values()
    assert_clean(page)


def test_load_of_a_missing_case_study_says_so(page, server):
    open_canvas(page, server)
    fill(page, header={"project": "Kept"})
    open_canvas(page, server, "?load=no-such-study")
    expect(status(page)).to_contain_text('Could not load the case study "no-such-study"')
    expect(status(page)).to_contain_text("404")
    assert form_values(page) == expected_values(header={"project": "Kept"})
    # Chromium itself logs the failed fetch; nothing else may appear
    assert_clean(
        page,
        allowed_error_prefix="Failed to load resource: the server responded with a status of 404",
    )


def test_every_published_case_study_loads(browser, server, site):
    studies = sorted(
        p
        for p in (site / "case-studies").glob("*.canvas.json")
        if p.name != f"{TEST_STUDY}.canvas.json"
    )
    in_docs = sorted(p.name for p in (ROOT / "docs" / "case-studies").glob("*.canvas.json"))
    assert in_docs, "no docs/case-studies/*.canvas.json: the case studies are gone"
    assert [p.name for p in studies] == in_docs, "the site does not publish every case study"
    for path in studies:
        name = path.name.removesuffix(".canvas.json")
        data = json.loads(path.read_text(encoding="utf-8"))
        page = new_page(browser)
        try:
            open_canvas(page, server, f"?load={name}")
            expect(status(page)).to_contain_text(f'Loaded the case study "{name}"')
            assert form_values(page) == expected_values(data.get("header"), data.get("sections")), (
                name
            )
            assert_clean(page)
        finally:
            page.context.close()


# --- clear and print --------------------------------------------------------------------------


def test_clear_asks_first(page, server):
    open_canvas(page, server)
    fill(page, header={"project": "To be cleared"}, sections={"risks": "Some risk"})

    answer_dialogs(page, accept=False)
    click_action(page, "clear")
    assert len(page.dialogs) == 1
    assert form_values(page)["sections"]["risks"] == "Some risk"
    assert stored(page) is not None

    answer_dialogs(page, accept=True)
    click_action(page, "clear")
    expect(status(page)).to_have_text("Canvas cleared.")
    assert form_values(page) == expected_values()
    assert stored(page) is None
    assert (
        page.locator("form.mlsd-canvas .mlsd-canvas__print").evaluate_all(
            "els => els.map(el => el.textContent).join('')"
        )
        == ""
    )
    assert_clean(page)


def test_print_button_calls_window_print(page, server):
    open_canvas(page, server)
    page.evaluate(
        "() => { window.print = () => { window.__printed = (window.__printed || 0) + 1; }; }"
    )
    click_action(page, "print")
    assert page.evaluate("window.__printed") == 1
    assert_clean(page)


def pdf_of(page) -> PdfReader:
    page.emulate_media(media="print")
    pdf = page.pdf(format="A3", landscape=True, prefer_css_page_size=True)
    return PdfReader(io.BytesIO(pdf))


def test_print_is_one_a3_landscape_page_with_only_the_form(page, server):
    header = {"project": "Quokka sightings forecast", "authors": "C. Author"}
    # every section about as full as a case study's, each ending in a word found nowhere else
    sections = {
        key: f"{key} notes: " + "measured and written down, " * 14 + f"endof{key.replace('-', '')}"
        for key in SECTION_IDS
    }
    open_canvas(page, server)
    page_title = page.locator(".md-content__inner h1").first.inner_text()
    page_text = page.locator(".md-content__inner > p").first.inner_text()  # prose around the form
    site_name = page.locator(".md-header__topic").first.inner_text()
    buttons = page.locator("form.mlsd-canvas .mlsd-canvas__actions > *").all_inner_texts()
    fill(page, header, sections)

    reader = pdf_of(page)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / MM), round(float(box.height) / MM)) == (420, 297)

    text = reader.pages[0].extract_text()
    flat = " ".join(text.split())
    assert header["project"] in flat
    for key in SECTION_IDS:  # the end of every answer printed: nothing cut off
        assert f"endof{key.replace('-', '')}" in flat, key
    for n, section in enumerate(DEFINITION["sections"], start=1):
        assert f"{n}. {section['title']}" in flat
        assert section["questions"][0] in flat
    assert page_title.strip() and page_title.strip() not in flat
    assert len(page_text) > 40 and " ".join(page_text.split()[:6]) not in flat
    assert site_name.strip() and site_name.strip() not in flat
    for label in filter(None, (b.strip() for b in buttons)):
        assert label not in flat, label
    assert_clean(page)


def test_print_of_a_blank_canvas_is_one_page_too(page, server):
    open_canvas(page, server)
    reader = pdf_of(page)
    assert len(reader.pages) == 1
    assert DEFINITION["sections"][-1]["title"] in " ".join(reader.pages[0].extract_text().split())
    assert_clean(page)


# --- both colour schemes ----------------------------------------------------------------------

CONTRAST = """el => {
    const rgb = c => c.match(/[\\d.]+/g).map(Number);
    const lum = ([r, g, b]) => [r, g, b]
        .map(v => v / 255)
        .map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
        .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
    const page = rgb(getComputedStyle(document.body).backgroundColor);
    const [r, g, b, a = 1] = rgb(getComputedStyle(el).backgroundColor);
    const back = [r, g, b].map((v, i) => v * a + page[i] * (1 - a));
    const [fr, fg, fb, fa = 1] = rgb(getComputedStyle(el).color);
    const fore = [fr, fg, fb].map((v, i) => v * fa + back[i] * (1 - fa));
    const [L1, L2] = [lum(fore), lum(back)].sort((x, y) => y - x);
    return (L1 + 0.05) / (L2 + 0.05);
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_fields_and_buttons_are_readable_in_both_schemes(browser, server, scheme):
    page = new_page(browser, color_scheme=scheme)
    try:
        open_canvas(page, server)
        expected = {"light": "default", "dark": "slate"}[scheme]
        assert page.locator("body").get_attribute("data-md-color-scheme") == expected
        for selector in (
            "[name='header.project']",
            f"[name='sections.{SECTION_IDS[0]}']",
            "button[data-action=export-json]",
        ):
            element = page.locator(f"form.mlsd-canvas {selector}")
            assert element.evaluate(CONTRAST) >= 4.5, (scheme, selector)
        textarea = page.locator(f"form.mlsd-canvas [name='sections.{SECTION_IDS[0]}']")
        textarea.focus()
        assert textarea.evaluate("el => getComputedStyle(el).outlineStyle") != "none"
        assert_clean(page)
    finally:
        page.context.close()
