// The arrangement builder works without JavaScript; this only makes Enter in the
// "include a material" field search, instead of saving the whole form.
for (const input of document.querySelectorAll("input[data-enter]")) {
  input.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    const button = input.form?.querySelector(`button[name="action"][value="${input.dataset.enter}"]`);
    if (!button) return;
    event.preventDefault();
    button.click();
  });
}
