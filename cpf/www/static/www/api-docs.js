// The API's documentation page (www/api_docs.html), after swagger-ui has drawn (it renders late
// and again on every click: each new element is fixed as it appears):
// - swagger-ui titles the API with an <h1> under the page's own: it is announced as a
//   second-level heading, so that the headings go 1, 2, 3 (the operations' groups are <h3>);
// - the examples are blocks that scroll sideways: they take the keyboard's focus, so that a
//   keyboard can scroll them;
// - the list of an operation's examples (request body, responses) is a <select> whose visible
//   "Examples:" text is no <label>: it gets a name of its own.
(function () {
  const root = document.getElementById("swagger-ui");
  const fix = () => {
    root.querySelectorAll("h1.title:not([aria-level])").forEach((title) => title.setAttribute("aria-level", "2"));
    root.querySelectorAll("pre:not([tabindex])").forEach((block) => block.setAttribute("tabindex", "0"));
    root
      .querySelectorAll("select.examples-select-element:not([aria-label])")
      .forEach((select) => select.setAttribute("aria-label", "Exemple"));
  };
  new MutationObserver(fix).observe(root, { childList: true, subtree: true });
  fix();
})();
