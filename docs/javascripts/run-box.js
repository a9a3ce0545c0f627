// The "Run it yourself" box names the wheel this site serves. When mkdocs.yml has no site_url,
// the build cannot know the site's address, so the page works it out from its own.
document$.subscribe(({ body }) => {
  for (const code of body.querySelectorAll(".run-box code[data-wheel]")) {
    const url = new URL(code.dataset.wheel, window.location.href).href;
    code.textContent = `pip install "${code.dataset.requirement} @ ${url}"`;
  }
});
