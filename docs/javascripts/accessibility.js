// Material's search is a role="dialog" without a name (axe: aria-dialog-name); name it after
// its own input's label, so screen readers announce "Search" when it opens.
document$.subscribe(() => {
  const dialog = document.querySelector('.md-search[role="dialog"]:not([aria-label])');
  const input = document.querySelector(".md-search__input");
  if (dialog) dialog.setAttribute("aria-label", input?.getAttribute("aria-label") || "Search");
});
