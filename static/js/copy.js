// "Copy" buttons for read-only text fields (the credits, the embed code). Without JavaScript
// the buttons stay hidden and the text can be selected and copied from the field itself.

// Each box of copyable fields (the credits, the embed code) says "copied" in its own status
// line; a button outside any box uses the page's first.
const pageStatus = document.querySelector("[data-copy-status]");

function statusFor(button) {
  const box = button.closest("details, section");
  return (box && box.querySelector("[data-copy-status]")) || pageStatus;
}

async function copyFrom(field) {
  try {
    await navigator.clipboard.writeText(field.value);
    return true;
  } catch (error) {
    // No clipboard permission (or an old browser): select the text for the user instead.
    field.focus();
    field.select();
    return false;
  }
}

for (const button of document.querySelectorAll("button[data-copy]")) {
  const field = document.getElementById(button.dataset.copy);
  if (!field) continue;
  button.hidden = false;
  button.addEventListener("click", async () => {
    const copied = await copyFrom(field);
    const status = statusFor(button);
    if (status && copied) {
      status.textContent = "";
      // A fresh text makes screen readers announce it again on a second click.
      window.setTimeout(() => { status.textContent = status.dataset.copied; }, 50);
    }
  });
}
