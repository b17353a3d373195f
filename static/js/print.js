// The print view's "Print" button: opens the browser's print dialogue. Without JavaScript the
// button stays hidden (its paragraph has the hidden attribute, which a button's own display
// would override) and the browser's own Print command prints the same page.
for (const row of document.querySelectorAll("[data-print]")) {
  row.hidden = false;
  row.querySelector("button").addEventListener("click", () => window.print());
}
