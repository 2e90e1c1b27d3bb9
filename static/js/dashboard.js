// The proof page's print button (without JavaScript the browser's own print command does the same).
"use strict";

document.querySelectorAll("button[data-print]").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
