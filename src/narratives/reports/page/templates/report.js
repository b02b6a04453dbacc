/* Draws the charts and pages through long quote lists; needs nothing but plotly.js above. */
function renderReport(figures, config) {
  document.querySelectorAll("[data-chart]").forEach(function (el) {
    var figure = figures[el.dataset.chart];
    if (figure) { Plotly.newPlot(el, figure.data, figure.layout, config); }
  });
  document.querySelectorAll(".pages").forEach(function (box) {
    var size = parseInt(box.dataset.pageSize, 10) || 10;
    var items = Array.prototype.slice.call(box.querySelectorAll("blockquote"));
    var pages = Math.max(1, Math.ceil(items.length / size));
    var prev = box.querySelector(".prev"), next = box.querySelector(".next"), position = box.querySelector(".position");
    var page = 0;
    function show(p) {
      page = Math.min(Math.max(p, 0), pages - 1);
      items.forEach(function (item, i) { item.hidden = Math.floor(i / size) !== page; });
      position.textContent = "page " + (page + 1) + " of " + pages;
      prev.disabled = page === 0;
      next.disabled = page === pages - 1;
    }
    prev.addEventListener("click", function () { show(page - 1); });
    next.addEventListener("click", function () { show(page + 1); });
    box.showItem = function (item) { show(Math.floor(items.indexOf(item) / size)); };
    show(0);
  });
  /* A link to a quote in a closed list opens the list at the right page. */
  function reveal() {
    var id = decodeURIComponent(location.hash.slice(1));
    var target = id && document.getElementById(id);
    if (!target) { return; }
    var box = target.closest(".pages");
    if (box) { target.closest("details").open = true; box.showItem(target); target.scrollIntoView(); }
  }
  window.addEventListener("hashchange", reveal);
  reveal();
}
