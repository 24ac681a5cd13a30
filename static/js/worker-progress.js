// While a worker makes a signed PDF or writes a contacts CSV, say how far it has come,
// then show it ready.
// Each box being made carries data-progress-url (a small JSON of its state); every
// two seconds the numbers in its live region and its <progress> are brought up to
// date, and once the file is ready (or failed) the page is loaded again to offer it.
// Without script the page says so and offers a link to look again. A file: the CSP
// allows no inline script.
(() => {
  const boxes = document.querySelectorAll("[data-progress-url]");
  if (!boxes.length) return;
  const poll = async () => {
    for (const box of boxes) {
      let state;
      try {
        const response = await fetch(box.dataset.progressUrl, { credentials: "same-origin" });
        if (!response.ok) continue;
        state = await response.json();
      } catch {
        continue; // a dropped connection: try again next time
      }
      if (state.state === "ready" || state.state === "failed") {
        window.location.reload();
        return;
      }
      const text = box.querySelector("[data-progress-text]");
      if (text) text.textContent = state.words;
      const bar = box.querySelector("progress");
      if (bar && state.total) {
        bar.max = state.total;
        bar.value = state.done;
        bar.hidden = false;
      }
    }
    window.setTimeout(poll, 2000);
  };
  for (const manual of document.querySelectorAll("[data-no-script]")) manual.hidden = true;
  window.setTimeout(poll, 2000);
})();
