// Exercise solutions are ordinary code cells tagged "solution" in the lesson source; they run
// at build time like every other cell. Here each one is folded into a collapsed <details>.
document$.subscribe(({ body }) => {
  for (const cell of body.querySelectorAll(".jp-Cell.celltag_solution")) {
    // nbconvert nests two cell divs per cell, both tagged: fold only the outer one, once.
    if (cell.parentElement.closest(".celltag_solution, details.solution")) continue;
    const details = document.createElement("details");
    details.className = "solution";
    const summary = document.createElement("summary");
    summary.textContent = "Solution (executed when the site was built)";
    cell.replaceWith(details);
    details.append(summary, cell);
  }
});
