// The import's progress page: polls the small JSON endpoint and updates the figures in place, until the
// import has finished (and, after that, while unverified rows wait for their retry). A separate file (the
// Content-Security-Policy runs no inline script); without JavaScript the page shows the figures of when it
// was loaded, and a reload shows newer ones.
"use strict";

document.querySelectorAll("[data-import-progress]").forEach((section) => {
  const url = section.dataset.importProgress;
  const field = (name) => section.querySelector(`[data-field="${name}"]`);
  const show = (data) => {
    ["valid", "invalid", "unverified", "left"].forEach((name) => {
      const element = field(name);
      if (element) element.textContent = String(data[name]);
    });
    const bar = field("done");
    if (bar) {
      bar.max = data.to_verify;
      bar.value = data.done;
    }
    const finish = field("estimated_finish");
    if (finish) {
      finish.textContent = data.estimated_finish_text || "—";
    }
    if (data.finished) {
      field("state").textContent = section.dataset.finishedText || field("state").textContent;
      section.dataset.finished = "true";
    }
  };
  const poll = async () => {
    try {
      const response = await fetch(url, {credentials: "same-origin", headers: {Accept: "application/json"}});
      if (response.ok) {
        const data = await response.json();
        show(data);
        // Finished, but rows that were unverified are retried: their figures still change, less often.
        if (data.finished) {
          if (!data.retrying) return;
          window.setTimeout(poll, 15000);
          return;
        }
      }
    } catch (error) {
      // A network hiccup: the next poll tries again.
    }
    window.setTimeout(poll, 2000);
  };
  window.setTimeout(poll, 1000);
});

// The same page while a worker reads the uploaded file: show the rows read so far, and reload once the
// reading is over, to show the preview (or the column mapping, or why the file could not be read).
document.querySelectorAll("[data-import-reading]").forEach((section) => {
  const url = section.dataset.importReading;
  const count = section.querySelector('[data-field="rows_read"]');
  const poll = async () => {
    try {
      const response = await fetch(url, {credentials: "same-origin", headers: {Accept: "application/json"}});
      if (response.ok) {
        const data = await response.json();
        if (data.status !== "reading") {
          window.location.reload();
          return;
        }
        if (count && data.rows_read !== undefined) count.textContent = String(data.rows_read);
      }
    } catch (error) {
      // A network hiccup: the next poll tries again.
    }
    window.setTimeout(poll, 1000);
  };
  window.setTimeout(poll, 500);
});
