// The arrangement builder works without JavaScript: every button posts the whole form and
// the page comes back with the change applied, nothing saved. This module saves those round
// trips. It posts the same form to the region's data-builder-url, which answers with the
// builder alone, rendered by the same template and code as the full page, and swaps it in
// place; the focus goes where the full page's `autofocus` would put it, and the server's
// sentence about the change is read out through a live region. "Save" still submits the
// page. Leaving the page with unsaved changes asks first.

const region = document.querySelector("[data-builder-url]");
const form = region && region.closest("form");

/** The form's state as text, without the search words (typing them changes nothing). */
function snapshot() {
  const fields = [...new FormData(form)]
    .filter(([name, value]) => name !== "find_query" && name !== "csrf_token"
      && typeof value === "string");
  return new URLSearchParams(fields).toString();
}

function announce(text) {
  const status = region.querySelector("#builder-status");
  if (!status || !text) return;
  status.textContent = "";
  // A fresh text makes screen readers announce it, even the same sentence twice running.
  window.setTimeout(() => { status.textContent = text; }, 50);
}

if (form) {
  const saved = region.hasAttribute("data-unsaved") ? null : snapshot();
  let busy = false;
  let typedMeanwhile = false;
  let submitting = false;

  // Enter in the "include a material" field searches, instead of saving the whole form.
  region.addEventListener("keydown", (event) => {
    const input = event.target.closest("input[data-enter]");
    if (!input || event.key !== "Enter") return;
    const button = region.querySelector(
      `button[name="action"][value="${input.dataset.enter}"]`);
    if (!button) return;
    event.preventDefault();
    button.click();
  });

  // What is typed while a change is on its way would be lost by the swap: the change is
  // asked again with it (the page still shows the outline before the change).
  region.addEventListener("input", () => { if (busy) typedMeanwhile = true; });

  async function press(button) {
    const current = region.querySelector("#builder");
    busy = true;
    current.setAttribute("aria-busy", "true");
    let html = null;
    do {
      typedMeanwhile = false;
      try {
        const response = await fetch(region.dataset.builderUrl, {
          method: "POST", body: new FormData(form, button), credentials: "same-origin",
        });
        html = response.ok ? await response.text() : null;
      } catch (error) {
        html = null;
      }
    } while (html !== null && typedMeanwhile);
    busy = false;
    current.removeAttribute("aria-busy");
    const fresh = html && new DOMParser().parseFromString(html, "text/html")
      .querySelector("#builder");
    if (!fresh) {
      // Signed out, a server error, no network: the page's own way still works.
      submitting = true;
      form.requestSubmit(button);
      return;
    }
    current.replaceWith(document.adoptNode(fresh));
    const focus = fresh.querySelector("[autofocus]");
    if (focus) focus.focus();
    announce(fresh.dataset.announce);
  }

  form.addEventListener("submit", (event) => {
    const button = event.submitter;
    if (submitting || !button || button.name !== "action" || !region.contains(button)) {
      submitting = true; // Save (or the fallback): the work goes to the server.
      return;
    }
    event.preventDefault();
    if (!busy) press(button);
  });

  window.addEventListener("beforeunload", (event) => {
    if (submitting || (saved !== null && snapshot() === saved)) return;
    event.preventDefault();
    event.returnValue = "";
  });
}
