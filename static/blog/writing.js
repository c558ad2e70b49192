// The writing room: the body's editor, its live preview and checks, and images added by
// choosing, dropping or pasting them. Without this script the body is the admin's plain
// textarea, and saving shows the article and its checks; nothing here is needed to write.
"use strict";

(function () {
  const PAUSE_MS = 600;
  const FENCE = /^ {0,3}(`{3,}|~{3,})(.*)$/;
  const LIMIT_PREFIX = "Rendering limit: ";

  // Whether the text before the cursor leaves it inside a fenced code block: fences as
  // Markdown reads them (the same character, at least as long, a bare closing line).
  function insideFence(text) {
    let open = null;
    for (const line of text.split("\n")) {
      const match = FENCE.exec(line);
      if (!match) continue;
      const [, fence, rest] = match;
      if (open === null) {
        if (!(fence[0] === "`" && rest.includes("`"))) open = fence;
      } else if (fence[0] === open[0] && fence.length >= open.length && rest.trim() === "") {
        open = null;
      }
    }
    return open !== null;
  }

  function said(template, value) {
    return template.replace("{}", value);
  }

  function item(text) {
    const li = document.createElement("li");
    li.textContent = text;
    return li;
  }

  async function post(url, data, token) {
    const answer = await fetch(url, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRFToken": token },
    });
    const json = (answer.headers.get("Content-Type") || "").includes("application/json");
    return { answer, result: json ? await answer.json() : null };
  }

  function start() {
    const body = document.getElementById("id_body");
    const pane = document.getElementById("writing-preview");
    const tools = document.getElementById("writing-images");
    const tokenInput = body && body.form && body.form.querySelector("input[name=csrfmiddlewaretoken]");
    if (!body || !pane || !tokenInput) return;
    const token = tokenInput.value;
    const t = pane.dataset;
    const row = body.closest(".form-row") || body.parentElement;
    row.classList.add("writing-room");
    row.appendChild(pane);
    pane.hidden = false;
    const state = pane.querySelector(".writing-preview-state");
    const warnings = pane.querySelector(".writing-preview-warnings");
    const checks = pane.querySelector(".writing-checks-list");
    // The article in a shadow root with the site's own stylesheet: it looks as readers see
    // it, and the admin's styles and the article's do not meet.
    const host = pane.querySelector(".writing-preview-article");
    const shadow = host.attachShadow({ mode: "open" });
    const sheet = document.createElement("link");
    sheet.rel = "stylesheet";
    sheet.href = pane.dataset.articleCss;
    const article = document.createElement("div");
    article.className = "post-body";
    shadow.append(sheet, article);
    // A link in the preview must not take the author away from unsaved text.
    shadow.addEventListener("click", (event) => {
      if (event.target.closest("a")) event.preventDefault();
    });

    // --- The preview ---------------------------------------------------------------------

    let timer = null;
    let waiting = false; // one request at a time; the text as it is then goes next
    let again = false;

    function later(ms) {
      clearTimeout(timer);
      timer = setTimeout(refresh, ms);
    }

    function field(name) {
      const element = body.form.elements[name];
      return element ? element.value : "";
    }

    async function ask() {
      const data = new FormData();
      data.append("body", body.value);
      data.append("summary", field("summary"));
      data.append("category", field("category"));
      const { answer, result } = await post(pane.dataset.url, data, token);
      if (answer.redirected) throw new Error(t.tSignedOut);
      if (answer.status === 429) {
        later(1000 * Number(answer.headers.get("Retry-After") || 2));
        throw new Error((result && result.error) || t.tTooMany);
      }
      if (!answer.ok || !result) {
        throw new Error((result && result.error) || said(t.tFailed, answer.status));
      }
      return result;
    }

    // The start of line `number` (1-based) in the body, and of the line after it.
    function lineRange(number) {
      let start = 0;
      for (let n = 1; n < number; n += 1) {
        const next = body.value.indexOf("\n", start);
        if (next < 0) return null;
        start = next + 1;
      }
      const end = body.value.indexOf("\n", start);
      return [start, end < 0 ? body.value.length : end];
    }

    // A problem with a line takes the author there: the line selected, in view.
    function goToLine(number) {
      const range = lineRange(number);
      if (!range) return;
      body.focus({ preventScroll: true });
      body.setSelectionRange(range[0], range[1]);
      const lineHeight = parseFloat(getComputedStyle(body).lineHeight) || 20;
      const top = body.getBoundingClientRect().top + window.scrollY;
      window.scrollTo({ top: Math.max(0, top + (number - 3) * lineHeight) });
    }

    function showChecks(problems) {
      if (!problems.length) {
        checks.replaceChildren(item(t.tNoProblems));
        checks.classList.add("writing-checks-clean");
        return;
      }
      checks.classList.remove("writing-checks-clean");
      checks.replaceChildren(
        ...problems.map((problem) => {
          if (!problem.line) return item(problem.message);
          const li = document.createElement("li");
          const button = document.createElement("button");
          button.type = "button";
          button.className = "writing-check-line";
          button.textContent = problem.message;
          button.addEventListener("click", () => goToLine(problem.line));
          li.append(button);
          return li;
        })
      );
    }

    async function refresh() {
      if (waiting) {
        again = true;
        return;
      }
      waiting = true;
      try {
        const result = await ask();
        // Sanitized by the server as the article itself is (blog.rendering).
        article.innerHTML = result.html;
        // Formula problems are among the checks, in the author's language; what is left
        // are the renderer's limits.
        warnings.replaceChildren(
          ...result.warnings
            .filter((text) => text.startsWith(LIMIT_PREFIX))
            .map((text) => item(text.slice(LIMIT_PREFIX.length)))
        );
        showChecks(result.problems || []);
        state.textContent = said(t.tMinutes, result.reading_minutes);
      } catch (error) {
        state.textContent = error instanceof TypeError ? t.tUnreachable : error.message;
      } finally {
        waiting = false;
        if (again) {
          again = false;
          refresh();
        }
      }
    }

    body.addEventListener("input", () => later(PAUSE_MS));
    for (const name of ["summary", "category"]) {
      const element = body.form.elements[name];
      if (element) element.addEventListener("change", () => later(0));
    }

    // Tab indents inside a fenced code block; elsewhere it moves the focus, as it should.
    body.addEventListener("keydown", (event) => {
      if (event.key !== "Tab" || event.shiftKey || event.ctrlKey || event.metaKey || event.altKey) return;
      if (!insideFence(body.value.slice(0, body.selectionStart))) return;
      event.preventDefault();
      body.setRangeText("    ", body.selectionStart, body.selectionEnd, "end");
      body.dispatchEvent(new Event("input"));
    });

    // --- Images ----------------------------------------------------------------------------

    if (tools && pane.dataset.uploadUrl) {
      body.after(tools);
      tools.hidden = false;
      const chooser = tools.querySelector(".writing-image-file");
      const uploadState = tools.querySelector(".writing-images-state");
      let uploads = 0;

      // Where the image goes: a placeholder at the cursor, on a line of its own, that the
      // answer replaces wherever the author's typing has moved it meanwhile.
      function placeholder(name) {
        uploads += 1;
        const mark = `![${said(t.tUploading, name.replace(/[\[\]\n]/g, ""))}](#upload-${uploads})`;
        const at = body.selectionStart;
        const before = body.value.slice(0, at);
        const text = (before && !before.endsWith("\n") ? "\n\n" : "") + mark + "\n";
        body.setRangeText(text, at, body.selectionEnd, "end");
        return { mark, text };
      }

      function replace(mark, text) {
        const at = body.value.indexOf(mark);
        if (at < 0) return;
        const end = at + mark.length;
        const keep = [body.selectionStart, body.selectionEnd].map((p) => (p >= end ? p - mark.length + text.length : p));
        body.setRangeText(text, at, end);
        body.setSelectionRange(keep[0], keep[1]);
        body.dispatchEvent(new Event("input"));
      }

      async function upload(file) {
        const name = file.name || "image";
        const { mark, text } = placeholder(name);
        uploadState.textContent = said(t.tUploading, name);
        const data = new FormData();
        data.append("file", file, name);
        try {
          const { answer, result } = await post(pane.dataset.uploadUrl, data, token);
          if (answer.redirected) throw new Error(t.tSignedOut);
          if (!answer.ok || !result) {
            throw new Error((result && result.error) || said(t.tUploadFailed, answer.status));
          }
          replace(mark, result.markdown);
          uploadState.textContent = said(t.tUploaded, name);
        } catch (error) {
          // Nothing of the attempt stays in the text: the placeholder and its blank lines.
          replace(body.value.includes(text) ? text : mark, "");
          uploadState.textContent = error instanceof TypeError ? t.tUnreachable : error.message;
        }
      }

      function uploadAll(files) {
        for (const file of files) upload(file);
      }

      tools.querySelector(".writing-add-image").addEventListener("click", () => chooser.click());
      chooser.addEventListener("change", () => {
        uploadAll([...chooser.files]);
        chooser.value = "";
      });
      // A screenshot pasted: the clipboard holds files and no text. Text (or a page copied
      // with its pictures) pastes as text, as the author expects.
      body.addEventListener("paste", (event) => {
        const clip = event.clipboardData;
        if (!clip || !clip.files.length || clip.types.includes("text/plain")) return;
        event.preventDefault();
        uploadAll([...clip.files]);
      });
      body.addEventListener("dragover", (event) => {
        if (event.dataTransfer && event.dataTransfer.types.includes("Files")) {
          event.preventDefault();
          body.classList.add("writing-drop");
        }
      });
      body.addEventListener("dragleave", () => body.classList.remove("writing-drop"));
      body.addEventListener("drop", (event) => {
        body.classList.remove("writing-drop");
        if (!event.dataTransfer || !event.dataTransfer.files.length) return;
        event.preventDefault();
        body.focus();
        uploadAll([...event.dataTransfer.files]);
      });
    }

    refresh();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
