// Details of the element under the pointer (or clicked, which pins them) from the inline JSON.
(function () {
  const items = JSON.parse(document.getElementById("details-data").textContent);
  const panel = document.getElementById("details");
  let pinned = null;

  function block(value) {
    const pre = document.createElement("pre");
    pre.textContent = typeof value === "string" ? value : JSON.stringify(value, null, 2);
    return pre;
  }

  function show(el) {
    const item = items[Number(el.dataset.d)];
    if (!item) return;
    panel.replaceChildren();
    const h = document.createElement("h3");
    h.textContent = item.title;
    panel.append(h);
    const dl = document.createElement("dl");
    for (const [key, value] of Object.entries(item)) {
      if (key === "title") continue;
      const dt = document.createElement("dt");
      dt.textContent = key.replace(/_/g, " ");
      const dd = document.createElement("dd");
      dd.append(block(value));
      dl.append(dt, dd);
    }
    panel.append(dl);
  }

  document.addEventListener("mouseover", (e) => {
    const el = e.target.closest("[data-d]");
    if (el && !pinned) show(el);
  });
  document.addEventListener("click", (e) => {
    const el = e.target.closest("[data-d]");
    if (pinned) pinned.classList.remove("selected");
    pinned = el;
    if (el) {
      el.classList.add("selected");
      show(el);
    }
  });
})();
