// The post form's text kept on the server while the author types (blog/autosave.py): sent
// after a few seconds without typing, offered back when the form is opened again after a
// crash or a closed tab, and a question before leaving a form whose text was not saved.
// Its words come from the page (data-t-*), in the admin's language.
(function () {
  const IDLE_MS = 3000;
  const FIELDS = ["title", "slug", "summary", "body", "tags", "category"];

  function said(template, value) {
    return template.replace("{}", value);
  }

  function start() {
    const pane = document.getElementById("writing-autosave");
    const body = document.getElementById("id_body");
    if (!pane || !body || !body.form || body.readOnly || body.disabled) return;
    const form = body.form;
    const tokenInput = form.querySelector("input[name=csrfmiddlewaretoken]");
    if (!tokenInput) return;
    const t = pane.dataset;
    const state = pane.querySelector(".writing-autosave-state");
    pane.hidden = false;

    function present() {
      return FIELDS.filter((name) => form.elements[name] && form.elements[name].name === name);
    }
    function values() {
      return present().map((name) => form.elements[name].value).join("\u0000");
    }
    const opened = values();
    let sent = opened;
    let timer = null;
    let sending = false;
    let leaving = false;

    function send(extra) {
      const data = new FormData();
      data.append("post", t.post);
      present().forEach((name) => data.append(name, form.elements[name].value));
      Object.entries(extra || {}).forEach(([name, value]) => data.append(name, value));
      return fetch(t.url, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "X-CSRFToken": tokenInput.value },
      });
    }

    async function save() {
      const now = values();
      if (now === sent || leaving) return;
      if (sending) {
        later();
        return;
      }
      sending = true;
      try {
        const answer = await send();
        if (answer.ok) {
          sent = now;
          state.textContent = said(t.tSaved, (await answer.json()).shown);
        } else {
          state.textContent = said(t.tFailed, answer.status);
          if (answer.status === 429) later();
        }
      } catch (error) {
        state.textContent = t.tUnreachable;
      } finally {
        sending = false;
      }
    }

    function later() {
      clearTimeout(timer);
      timer = setTimeout(save, IDLE_MS);
    }

    form.addEventListener("input", later);
    form.addEventListener("change", later);
    form.addEventListener("submit", () => {
      leaving = true;
    });
    window.addEventListener("beforeunload", (event) => {
      if (!leaving && values() !== opened) {
        event.preventDefault();
        event.returnValue = "";
      }
    });

    const offered = document.getElementById("writing-autosave-offer-data");
    const offer = pane.querySelector(".writing-autosave-offer");
    if (offered && offer) {
      const kept = JSON.parse(offered.textContent);
      offer.hidden = false;
      offer.querySelector(".writing-autosave-restore").addEventListener("click", () => {
        present().forEach((name) => {
          const element = form.elements[name];
          if (kept[name] === undefined || kept[name] === null) return;
          element.value = String(kept[name]);
          // The preview and the slug's own script follow the field as if it were typed.
          element.dispatchEvent(new Event("input", { bubbles: true }));
          element.dispatchEvent(new Event("change", { bubbles: true }));
        });
        offer.hidden = true;
        body.focus();
      });
      offer.querySelector(".writing-autosave-discard").addEventListener("click", async () => {
        offer.hidden = true;
        try {
          await send({ discard: "1" });
        } catch (error) {
          // Nothing is lost: the next autosave writes over it anyway.
        }
      });
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
