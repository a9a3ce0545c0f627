// Exercise solutions are ordinary code cells tagged "solution" in the lesson source; they run
// at build time like every other cell. Here each one is folded into a collapsed <details>.
document$.subscribe(({ body }) => {
  for (const cell of body.querySelectorAll(".jp-Cell.celltag_solution")) {
    if (cell.parentElement.tagName === "DETAILS") continue;
    const details = document.createElement("details");
    details.className = "solution";
    const summary = document.createElement("summary");
    summary.textContent = "Solution (executed when the site was built)";
    cell.replaceWith(details);
    details.append(summary, cell);
  }
});
