// The admin's periodic task form (django-celery-beat): the crontab field says in words what the chosen
// schedule means, and the separate read-only row that says it for the saved schedule is hidden.
// django-celery-beat does this in an inline script, which the Content-Security-Policy does not run.
"use strict";
{
  const readable = JSON.parse(document.getElementById("readable-crontabs").textContent);
  const label = document.getElementById("periodic-task-form").dataset.label;
  const crontab = document.getElementById("id_crontab");
  const help = document.getElementById("id_crontab_helptext");
  document.querySelectorAll(".field-crontab_translation").forEach((row) => row.classList.add("hidden"));
  if (crontab && help) {
    const words = document.createElement("div");
    help.append(words);
    const update = () => {
      const text = readable[crontab.value];
      words.textContent = text ? `${label} ${text}` : "";
    };
    crontab.addEventListener("change", update);
    update();
  }
}
