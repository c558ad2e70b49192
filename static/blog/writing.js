// The writing room: the body's editor and its live preview. Without this script the body is
// the admin's plain textarea, and saving shows the article; nothing here is needed to write.
"use strict";

(function () {
  const PAUSE_MS = 600;

  function start() {
    const body = document.getElementById("id_body");
    const pane = document.getElementById("writing-preview");
    if (!body || !pane) return;
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

    const token = body.form.querySelector("input[name=csrfmiddlewaretoken]").value;
    let timer = null;
    let asked = 0;

    async function refresh() {
      const number = ++asked;
      state.textContent = "Rendering…";
      const data = new FormData();
      data.append("body", body.value);
      try {
        const answer = await fetch(pane.dataset.url, {
          method: "POST",
          body: data,
          credentials: "same-origin",
          headers: { "X-CSRFToken": token },
        });
        const result = await answer.json();
        if (number !== asked) return; // a newer preview is on its way
        if (!answer.ok) {
          state.textContent = result.error || "The preview failed (" + answer.status + ").";
          return;
        }
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
        if (number === asked) state.textContent = "The preview could not be reached.";
      }
    }

    body.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(refresh, PAUSE_MS);
    });

    // Tab indents inside a fenced code block; elsewhere it moves the focus, as it should.
    body.addEventListener("keydown", (event) => {
      if (event.key !== "Tab" || event.shiftKey || event.ctrlKey || event.metaKey || event.altKey) return;
      const before = body.value.slice(0, body.selectionStart);
      const fences = (before.match(/^\s*(```|~~~)/gm) || []).length;
      if (fences % 2 === 0) return;
      event.preventDefault();
      body.setRangeText("    ", body.selectionStart, body.selectionEnd, "end");
      body.dispatchEvent(new Event("input"));
    });

    refresh();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
