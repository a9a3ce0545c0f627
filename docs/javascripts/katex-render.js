// Render maths with the vendored KaTeX: arithmatex spans on Markdown pages, and $...$ in
// lesson (notebook) cells. document$ fires on every page, including instant navigation.
document$.subscribe(({ body }) => {
  const delimiters = [
    { left: "$$", right: "$$", display: true },
    { left: "\\[", right: "\\]", display: true },
    { left: "$", right: "$", display: false },
    { left: "\\(", right: "\\)", display: false },
  ];
  for (const el of body.querySelectorAll(".arithmatex, .jupyter-wrapper .jp-MarkdownOutput")) {
    renderMathInElement(el, { delimiters, throwOnError: false });
  }
});
