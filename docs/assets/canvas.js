/* The browser canvas: fill in the ML System Design Canvas on docs/canvas/, keep it in this
 * browser, export it as JSON or Markdown, import it again, load a case study, download it as a
 * filled PDF, print it.
 *
 * The form itself (fields, titles, questions) is rendered at build time by
 * scripts/hooks/canvas.py from docs/canvas/canvas.yml; this script reads the definition back
 * from that HTML, so the two cannot disagree. No framework, no build step, and no request
 * except same-origin fetches: a case study's JSON for `?load=<name>`, and the blank PDF and its
 * fill map for "Download PDF" (filled by docs/assets/canvas-pdf.js).
 *
 * Everything the reader types or imports is written with .value and .textContent, never as
 * HTML.
 */
(() => {
  "use strict";

  const STORAGE_KEY = "mlsd-canvas:v1";
  const CASE_STUDY_NAME = /^[a-z0-9-]+$/;
  const JSON_FILE = "ml-system-design-canvas.json";
  const MARKDOWN_FILE = "ml-system-design-canvas.md";
  const PDF_FILE = "ml-system-design-canvas.pdf";
  const PARTS = ["header", "sections"];
  const TOP_LEVEL_KEYS = ["canvas", "version", ...PARTS];

  // Forms already wired: Material's document$ may hand us the same document again.
  const wired = new WeakSet();

  class CanvasError extends Error {}

  /* --- Python-compatible whitespace, so the Markdown matches scripts/canvas.py byte for byte.
   * These are the characters for which Python's str.isspace() is true; JavaScript's trim()
   * differs (it strips U+FEFF and keeps U+001C..U+001F and U+0085). */
  const PY_SPACE = /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;

  function rstrip(text, isSpace = (c) => PY_SPACE.test(c)) {
    let end = text.length;
    while (end > 0 && isSpace(text[end - 1])) end -= 1;
    return text.slice(0, end);
  }

  function strip(text) {
    let start = 0;
    while (start < text.length && PY_SPACE.test(text[start])) start += 1;
    return rstrip(text.slice(start));
  }

  /* --- The definition, read from the form the hook rendered ------------------------------- */

  function readDefinition(form) {
    const header = [...form.querySelectorAll('input[name^="header."]')].map((input) => ({
      id: input.name.slice("header.".length),
      label: strip(input.labels?.[0]?.textContent ?? ""),
      element: input,
    }));
    const sections = [...form.querySelectorAll('textarea[name^="sections."]')].map((textarea) => {
      const section = textarea.closest(".mlsd-canvas__section");
      const heading =
        document.getElementById(textarea.getAttribute("aria-labelledby")) ??
        section.querySelector("h3");
      return {
        id: textarea.name.slice("sections.".length),
        // The heading reads "3. ML task framing"; the number is re-derived from the order.
        title: strip(heading?.textContent ?? "").replace(/^\d+\.\s*/, ""),
        questions: [...section.querySelectorAll(".mlsd-canvas__questions li")].map((item) =>
          strip(item.textContent),
        ),
        element: textarea,
      };
    });
    return {
      name: form.dataset.canvasName,
      version: Number(form.dataset.canvasVersion),
      title: form.dataset.canvasTitle ?? "",
      header,
      sections,
      fields: [...header, ...sections],
    };
  }

  /* --- Values: the exported JSON format --------------------------------------------------- */

  function readValues(definition) {
    return {
      canvas: definition.name,
      version: definition.version,
      header: Object.fromEntries(definition.header.map((f) => [f.id, f.element.value])),
      sections: Object.fromEntries(definition.sections.map((s) => [s.id, s.element.value])),
    };
  }

  function writeValues(definition, values) {
    for (const part of PARTS) {
      for (const field of definition[part]) {
        field.element.value = Object.hasOwn(values[part], field.id) ? values[part][field.id] : "";
        updateMirror(field.element);
      }
    }
  }

  function hasText(definition) {
    return definition.fields.some((field) => strip(field.element.value) !== "");
  }

  function isObject(value) {
    return typeof value === "object" && value !== null && !Array.isArray(value);
  }

  function describe(value) {
    if (value === null) return "null";
    if (Array.isArray(value)) return "a list";
    return typeof value === "object" ? "an object" : `a ${typeof value}`;
  }

  function quoted(keys) {
    return keys.map((key) => JSON.stringify(key)).join(", ");
  }

  /* Check parsed JSON against the form's own fields; return {header, sections} of strings or
   * throw a CanvasError that says what is wrong. */
  function validate(definition, data) {
    if (!isObject(data)) {
      throw new CanvasError(`the file holds ${describe(data)}, not a canvas object`);
    }
    if (data.canvas !== definition.name || data.version !== definition.version) {
      throw new CanvasError(
        `it is not a canvas export: expected "canvas": ${JSON.stringify(
          definition.name,
        )} and "version": ${definition.version}, found "canvas": ${
          JSON.stringify(data.canvas) ?? "nothing"
        } and "version": ${JSON.stringify(data.version) ?? "nothing"}`,
      );
    }
    const unknownTop = Object.keys(data).filter((key) => !TOP_LEVEL_KEYS.includes(key));
    if (unknownTop.length) {
      throw new CanvasError(
        `unknown key ${quoted(unknownTop)} at the top level (known: ${TOP_LEVEL_KEYS.join(", ")})`,
      );
    }
    const values = {};
    for (const part of PARTS) {
      const given = Object.hasOwn(data, part) ? data[part] : {};
      if (!isObject(given)) {
        throw new CanvasError(`"${part}" must be an object of texts, not ${describe(given)}`);
      }
      const known = definition[part].map((field) => field.id);
      const unknown = Object.keys(given).filter((key) => !known.includes(key));
      if (unknown.length) {
        const kind = part === "header" ? "header field" : "section";
        throw new CanvasError(
          `unknown ${kind}${unknown.length > 1 ? "s" : ""} ${quoted(unknown)} ` +
            `(known ${kind}s: ${known.join(", ")})`,
        );
      }
      for (const [key, value] of Object.entries(given)) {
        if (typeof value !== "string") {
          throw new CanvasError(`${part}.${key} must be text, not ${describe(value)}`);
        }
      }
      values[part] = given;
    }
    return values;
  }

  function parse(definition, text) {
    let data;
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new CanvasError(`it is not valid JSON (${error.message})`);
    }
    return validate(definition, data);
  }

  /* --- Markdown: the same text as to_markdown() in scripts/canvas.py ---------------------- */

  function toMarkdown(definition, values) {
    const lines = [`# ${definition.title}`, ""];
    for (const field of definition.header) {
      const value = strip(values.header[field.id] ?? "");
      lines.push(rstrip(`- **${field.label}:** ${value}`));
    }
    lines.push("");
    definition.sections.forEach((section, index) => {
      lines.push(`## ${index + 1}. ${section.title}`, "");
      lines.push(...section.questions.map((question) => `> ${question}`));
      lines.push("");
      const value = strip(values.sections[section.id] ?? "");
      if (value) lines.push(value, "");
    });
    return rstrip(lines.join("\n"), (c) => c === "\n") + "\n";
  }

  /* --- The page: mirrors for print, status line, storage, downloads ---------------------- */

  // Textareas do not grow when printed, so each field gets a sibling that holds the same text,
  // hidden on screen and shown by the print stylesheet instead of the field.
  function updateMirror(element) {
    let mirror = element.nextElementSibling;
    if (!mirror?.classList.contains("mlsd-canvas__print")) {
      mirror = document.createElement("span");
      mirror.className = "mlsd-canvas__print";
      mirror.setAttribute("aria-hidden", "true");
      element.after(mirror);
    }
    mirror.textContent = element.value;
  }

  function say(form, message, state = "info") {
    const status = form.querySelector(".mlsd-canvas__status");
    if (!status) return;
    status.textContent = message;
    status.dataset.state = state;
  }

  function save(form, definition) {
    try {
      if (hasText(definition)) {
        localStorage.setItem(STORAGE_KEY, JSON.stringify(readValues(definition)));
      } else {
        localStorage.removeItem(STORAGE_KEY);
      }
      return true;
    } catch (error) {
      say(
        form,
        `This browser did not let the canvas be saved (${error.message}). ` +
          "Export JSON to keep your work.",
        "error",
      );
      return false;
    }
  }

  function restore(form, definition) {
    let stored;
    try {
      stored = localStorage.getItem(STORAGE_KEY);
    } catch (error) {
      say(form, `This browser does not allow saving (${error.message}).`, "error");
      return;
    }
    if (stored === null) return;
    try {
      writeValues(definition, parse(definition, stored));
    } catch (error) {
      if (!(error instanceof CanvasError)) throw error;
      say(
        form,
        `The canvas saved in this browser could not be restored: ${error.message}. ` +
          "It stays stored until you type here.",
        "error",
      );
    }
  }

  function download(filename, content, type) {
    const url = URL.createObjectURL(new Blob([content], { type }));
    const link = document.createElement("a");
    link.href = url;
    link.download = filename;
    link.hidden = true;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  /* --- Actions ----------------------------------------------------------------------------- */

  async function importFile(form, definition, input) {
    const file = input.files?.[0];
    input.value = ""; // choosing the same file again must fire "change" again
    if (!file) return;
    let values;
    try {
      values = parse(definition, await file.text());
    } catch (error) {
      if (!(error instanceof CanvasError)) throw error;
      say(
        form,
        `Import refused: "${file.name}": ${error.message}. The canvas was not changed.`,
        "error",
      );
      return;
    }
    writeValues(definition, values);
    if (save(form, definition)) say(form, `Imported "${file.name}".`, "ok");
  }

  async function loadCaseStudy(form, definition, name) {
    if (!CASE_STUDY_NAME.test(name)) {
      say(
        form,
        `Refused to load "${name}": a case-study name has only lowercase letters, digits ` +
          "and hyphens.",
        "error",
      );
      return;
    }
    const url = new URL(`../case-studies/${name}.canvas.json`, window.location.href);
    let values;
    try {
      const response = await fetch(url, { credentials: "same-origin" });
      if (!response.ok) {
        throw new CanvasError(`the server answered ${response.status} for ${url.pathname}`);
      }
      values = parse(definition, await response.text());
    } catch (error) {
      say(
        form,
        `Could not load the case study "${name}": ${error.message}. The canvas was not changed.`,
        "error",
      );
      return;
    }
    if (!form.isConnected) return; // the reader navigated away meanwhile
    if (
      hasText(definition) &&
      !window.confirm(`Replace what is in your canvas with the case study "${name}"?`)
    ) {
      say(form, `Kept your canvas; the case study "${name}" was not loaded.`, "info");
      return;
    }
    writeValues(definition, values);
    if (save(form, definition)) say(form, `Loaded the case study "${name}".`, "ok");
  }

  // Drop ?load= from the address once handled, so that reloading does not ask again.
  function forgetLoadParameter() {
    const url = new URL(window.location.href);
    url.searchParams.delete("load");
    window.history.replaceState(window.history.state, "", url);
  }

  // A same-origin file next to the canvas page; the hook wrote its href relative to the page.
  async function fetchSameOrigin(href, read) {
    const url = new URL(href, window.location.href);
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) {
      throw new CanvasError(`the server answered ${response.status} for ${url.pathname}`);
    }
    return read(response);
  }

  // The blank PDF, with every non-empty field set to exactly what is in the form.
  async function exportPdf(form, definition, button) {
    button.disabled = true; // one PDF per click, even when fetching takes a moment
    say(form, "Making the PDF\u2026", "info");
    let pdf;
    try {
      const filler = window.mlsdCanvasPdf;
      if (!filler) throw new CanvasError("the script that fills PDFs did not load");
      const [blank, map] = await Promise.all([
        fetchSameOrigin(button.dataset.pdf, async (r) => new Uint8Array(await r.arrayBuffer())),
        fetchSameOrigin(button.dataset.fillMap, (r) => r.json()),
      ]);
      const values = Object.fromEntries(definition.fields.map((f) => [f.id, f.element.value]));
      pdf = filler.fill(blank, map, values);
    } catch (error) {
      say(form, `Could not make the PDF: ${error.message}.`, "error");
      return;
    } finally {
      button.disabled = false;
    }
    download(PDF_FILE, pdf, "application/pdf");
    say(form, `Downloaded ${PDF_FILE}, a filled PDF you can still edit.`, "ok");
  }

  function clear(form, definition) {
    if (!window.confirm("Clear every field of the canvas? This cannot be undone.")) return;
    writeValues(definition, { header: {}, sections: {} });
    if (save(form, definition)) say(form, "Canvas cleared.", "ok");
  }

  const actions = {
    "export-json": (form, definition) => {
      download(JSON_FILE, `${JSON.stringify(readValues(definition), null, 2)}\n`, "application/json");
      say(form, `Exported ${JSON_FILE}.`, "ok");
    },
    "export-markdown": (form, definition) => {
      download(MARKDOWN_FILE, toMarkdown(definition, readValues(definition)), "text/markdown");
      say(form, `Exported ${MARKDOWN_FILE}.`, "ok");
    },
    "export-pdf": exportPdf,
    print: () => window.print(),
    clear,
  };

  /* --- Wiring ------------------------------------------------------------------------------ */

  function setup(form) {
    if (wired.has(form)) return;
    wired.add(form);
    const definition = readDefinition(form);

    for (const field of definition.fields) updateMirror(field.element);
    restore(form, definition);

    form.addEventListener("submit", (event) => event.preventDefault());
    form.addEventListener("input", (event) => {
      if (!definition.fields.some((field) => field.element === event.target)) return;
      updateMirror(event.target);
      save(form, definition);
    });
    form.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-action]");
      const action = button && actions[button.dataset.action];
      if (action) action(form, definition, button);
    });

    const fileInput = form.querySelector('input[type="file"][data-action="import-json"]');
    if (fileInput) {
      fileInput.addEventListener("change", () => importFile(form, definition, fileInput));
      // The file input is hidden inside its label; make the label reachable by keyboard.
      // Material clicks a focused label on Enter too, which would open a second, refused file
      // picker: the key stops here.
      const label = fileInput.closest("label");
      if (label) {
        label.tabIndex = 0;
        label.setAttribute("role", "button");
        label.addEventListener("keydown", (event) => {
          if (event.key !== "Enter" && event.key !== " ") return;
          event.preventDefault();
          event.stopPropagation();
          fileInput.click();
        });
      }
    }

    const name = new URLSearchParams(window.location.search).get("load");
    if (name !== null) {
      forgetLoadParameter();
      loadCaseStudy(form, definition, name);
    }
  }

  function init() {
    document.querySelectorAll("form.mlsd-canvas").forEach(setup);
  }

  // Material's instant navigation swaps pages without running scripts again; document$ emits
  // for every page it shows, including the first.
  if (typeof document$ !== "undefined") {
    document$.subscribe(init);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
