// The writing room: the body's editor and its live preview. Without this script the body is
// the admin's plain textarea, and saving shows the article; nothing here is needed to write.
"use strict";

(function () {
  const PAUSE_MS = 600;
  const FENCE = /^ {0,3}(`{3,}|~{3,})(.*)$/;

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

  function start() {
    const body = document.getElementById("id_body");
    const pane = document.getElementById("writing-preview");
    const tokenInput = body && body.form && body.form.querySelector("input[name=csrfmiddlewaretoken]");
    if (!body || !pane || !tokenInput) return;
    const token = tokenInput.value;
    const row = body.closest(".form-row") || body.parentElement;
    row.classList.add("writing-room");
    row.appendChild(pane);
    pane.hidden = false;
    const state = pane.querySelector(".writing-preview-state");
    const warnings = pane.querySelector(".writing-preview-warnings");
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

    let timer = null;
    let waiting = false; // one request at a time; the text as it is then goes next
    let again = false;

    function later(ms) {
      clearTimeout(timer);
      timer = setTimeout(refresh, ms);
    }

    async function ask() {
      const data = new FormData();
      data.append("body", body.value);
      const answer = await fetch(pane.dataset.url, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "X-CSRFToken": token },
      });
      if (answer.redirected) {
        throw new Error("You were signed out: sign in again in another tab, then keep writing.");
      }
      const json = (answer.headers.get("Content-Type") || "").includes("application/json");
      const result = json ? await answer.json() : {};
      if (answer.status === 429) {
        later(1000 * Number(answer.headers.get("Retry-After") || 2));
        throw new Error(result.error || "Too many previews; trying again shortly.");
      }
      if (!answer.ok || !json) {
        throw new Error(result.error || "The preview failed (status " + answer.status + ").");
      }
      return result;
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
        warnings.replaceChildren(
          ...result.warnings.map((text) => {
            const item = document.createElement("li");
            item.textContent = text;
            return item;
          })
        );
        state.textContent = result.reading_minutes + " min read · not saved";
      } catch (error) {
        state.textContent = error instanceof TypeError ? "The preview could not be reached." : error.message;
      } finally {
        waiting = false;
        if (again) {
          again = false;
          refresh();
        }
      }
    }

    body.addEventListener("input", () => later(PAUSE_MS));

    // Tab indents inside a fenced code block; elsewhere it moves the focus, as it should.
    body.addEventListener("keydown", (event) => {
      if (event.key !== "Tab" || event.shiftKey || event.ctrlKey || event.metaKey || event.altKey) return;
      if (!insideFence(body.value.slice(0, body.selectionStart))) return;
      event.preventDefault();
      body.setRangeText("    ", body.selectionStart, body.selectionEnd, "end");
      body.dispatchEvent(new Event("input"));
    });

    refresh();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
