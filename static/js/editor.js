// Live preview for the Markdown editor. Without JavaScript the form's "Preview" button does
// the same on the server; this only saves the round trip. The HTML comes from the server's
// sanitiser, the same one that renders the published page.

const form = document.querySelector("form[data-preview-url]");
const body = form && form.querySelector("textarea[name=body]");
const panel = form && form.querySelector(".editor__preview");
const target = form && form.querySelector("#preview-body");

if (form && body && panel && target) {
  const token = form.querySelector("input[name=csrf_token]").value;
  let timer = null;
  let last = null;

  async function refresh() {
    if (body.value === last) return;
    last = body.value;
    const data = new FormData();
    data.append("csrf_token", token);
    data.append("body", body.value);
    try {
      const response = await fetch(form.dataset.previewUrl, {
        method: "POST", body: data, credentials: "same-origin",
        headers: { "X-CSRFToken": token },
      });
      // 422: the text is over the limits; the answer says why, in place of the preview.
      if (response.ok || response.status === 422) target.innerHTML = await response.text();
    } catch (error) {
      // The preview is a convenience; typing must never be interrupted by it.
    }
  }

  panel.hidden = false;
  form.querySelector(".editor").classList.add("editor--live");
  body.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  });
  refresh();
}
