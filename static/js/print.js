// The print view's "Print" button: opens the browser's print dialogue. Without JavaScript the
// button stays hidden and the browser's own Print command prints the same page.
for (const button of document.querySelectorAll("button[data-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
