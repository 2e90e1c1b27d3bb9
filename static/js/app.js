// The pages' few behaviours, each switched on by a data attribute in the markup. They live here, not
// in the templates, because the Content-Security-Policy runs no inline script or event handler.
// Everything works without JavaScript too, except where a comment says otherwise.
"use strict";

// <select data-submit-to-value> in a form: choosing an option posts the form to the URL the option
// holds (the workspace switcher; without JavaScript it does nothing).
document.querySelectorAll("select[data-submit-to-value]").forEach((select) => {
  select.addEventListener("change", () => {
    select.form.action = select.value;
    select.form.submit();
  });
});

// <input type="checkbox" data-tick-all="<selector>">: ticks or clears every checkbox the selector finds.
document.querySelectorAll("input[data-tick-all]").forEach((master) => {
  master.addEventListener("change", () => {
    document.querySelectorAll(master.dataset.tickAll).forEach((box) => {
      box.checked = master.checked;
    });
  });
});

// <fieldset data-kinds="slack webhook"> in a form with a `kind` field: shown only for those kinds (the
// chat channel form; without JavaScript every fieldset shows).
document.querySelectorAll("form").forEach((form) => {
  const kind = form.elements.namedItem("kind");
  const sets = form.querySelectorAll("fieldset[data-kinds]");
  if (!kind || !sets.length) return;
  const show = () => {
    sets.forEach((set) => {
      set.hidden = !set.dataset.kinds.split(" ").includes(kind.value);
    });
  };
  kind.addEventListener("change", show);
  show();
});

// form[data-monitoring-form] inside [data-monitoring-card]: monitoring on/off without a page reload.
// Post the form with fetch and swap in the card it returns. One listener on the document, so the
// swapped-in card's forms work too. If the fetch fails, the form posts normally and the page reloads.
document.addEventListener("submit", async (event) => {
  const form = event.target.closest("form[data-monitoring-form]");
  if (!form) return;
  event.preventDefault();
  const card = form.closest("[data-monitoring-card]");
  try {
    const response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: {"X-Requested-With": "fetch"},
      credentials: "same-origin",
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    card.outerHTML = await response.text();
  } catch (error) {
    form.submit();
  }
});

// [data-poll-export="<url>"]: an export written in the background. Ask the URL for its state (JSON)
// every few seconds and reload the page once it is finished, to show the download link. Without
// JavaScript the page has a "Refresh" link.
document.querySelectorAll("[data-poll-export]").forEach((section) => {
  const url = section.dataset.pollExport;
  const state = section.querySelector("[data-export-state]");
  const ask = async () => {
    try {
      const response = await fetch(url, {headers: {Accept: "application/json"}, credentials: "same-origin"});
      if (response.ok) {
        const answer = await response.json();
        if (state) state.textContent = answer.state_label;
        if (answer.finished) {
          window.location.reload();
          return;
        }
      }
    } catch (error) {
      // A network blip: ask again at the next tick.
    }
    window.setTimeout(ask, 2000);
  };
  window.setTimeout(ask, 1000);
});
