// Render maths with the vendored KaTeX: arithmatex spans on Markdown pages, and $...$ in
// lesson (notebook) cells. KaTeX (~300 KB with its stylesheet) is fetched only by a page that
// has maths, once. document$ fires on every page, including instant navigation.
const katexFolder = new URL("../assets/katex/", document.currentScript.src);
let katexLoaded = null;

function loadKatex() {
  const script = (name) => new Promise((resolve, reject) => {
    const el = document.createElement("script");
    el.src = new URL(name, katexFolder);
    el.onload = resolve;
    el.onerror = () => reject(new Error(`could not load ${el.src}`));
    document.head.appendChild(el);
  });
  if (!katexLoaded) {
    const css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = new URL("katex.min.css", katexFolder);
    document.head.appendChild(css);
    katexLoaded = script("katex.min.js").then(() => script("auto-render.min.js"));
  }
  return katexLoaded;
}

const MATH = /\$|\\\(|\\\[/;  // a delimiter KaTeX's auto-render looks for

document$.subscribe(({ body }) => {
  const delimiters = [
    { left: "$$", right: "$$", display: true },
    { left: "\\[", right: "\\]", display: true },
    { left: "$", right: "$", display: false },
    { left: "\\(", right: "\\)", display: false },
  ];
  const elements = [...body.querySelectorAll(".arithmatex, .jupyter-wrapper .jp-MarkdownOutput")]
    .filter((el) => el.classList.contains("arithmatex") || MATH.test(el.textContent));
  if (elements.length === 0) return;
  loadKatex().then(() => {
    for (const el of elements) renderMathInElement(el, { delimiters, throwOnError: false });
  });
});
