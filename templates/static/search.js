/* litreview search.
 * On every page: "/" focuses the search box (the header form works without JavaScript: it is a
 * plain GET form to search/). On the search page: loads Pagefind UI from the site's own bundle
 * and keeps the query, filters and sort in the URL, so search/?q=attention&topic=X&sort=newest
 * can be shared. It does not index anything; `litreview build` writes the index.
 */
(function () {
  "use strict";
  var FILTERS = ["topic", "tag", "venue", "listing", "year"];
  var SORTS = { newest: { date: "desc" }, oldest: { date: "asc" } };

  function searchBox() {
    return document.querySelector("#search .pagefind-ui__search-input") ||
      document.querySelector(".site-search input[name=q]");
  }

  function isTyping(target) {
    return target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(event.target)) return;
    var box = searchBox();
    if (!box || box.offsetParent === null) return;
    event.preventDefault();
    box.focus();
    box.select();
  });

  function readState() {
    var params = new URLSearchParams(window.location.search);
    var filters = {};
    FILTERS.forEach(function (name) {
      var values = params.getAll(name).filter(Boolean);
      if (values.length) filters[name] = values;
    });
    var sort = params.get("sort") || "";
    return { q: params.get("q") || "", filters: filters, sort: SORTS[sort] ? sort : "" };
  }

  function writeState(state) {
    var params = new URLSearchParams();
    if (state.q) params.set("q", state.q);
    FILTERS.forEach(function (name) {
      (state.filters[name] || []).forEach(function (value) { params.append(name, value); });
    });
    if (state.sort) params.set("sort", state.sort);
    var query = params.toString();
    window.history.replaceState(null, "", window.location.pathname + (query ? "?" + query : ""));
  }

  function checkedFilters(root) {
    var filters = {};
    root.querySelectorAll(".pagefind-ui__filter-checkbox:checked").forEach(function (box) {
      (filters[box.name] = filters[box.name] || []).push(box.value);
    });
    return filters;
  }

  function mount(root, state, previous) {
    if (previous) previous.destroy();
    root.textContent = "";
    var ui = new window.PagefindUI({
      element: root,
      bundlePath: root.dataset.bundle,
      baseUrl: root.dataset.baseUrl,
      showSubResults: false,
      showImages: false,
      pageSize: 10,
      sort: SORTS[state.sort] || null,
      autofocus: !state.q,
      translations: { placeholder: "Search papers" }
    });
    // Pagefind UI names its box with a title only; axe (tests/test_browser_theme.py) wants a label.
    var box = root.querySelector(".pagefind-ui__search-input");
    if (box) box.setAttribute("aria-label", "Search papers");
    if (Object.keys(state.filters).length) ui.triggerFilters(state.filters);
    if (state.q) ui.triggerSearch(state.q);
    return ui;
  }

  function follow(root, state, remount) {
    root.addEventListener("input", function (event) {
      if (!event.target.classList.contains("pagefind-ui__search-input")) return;
      state.q = event.target.value.trim();
      writeState(state);
    }, true);
    root.addEventListener("click", function (event) {
      if (!event.target.closest(".pagefind-ui__search-clear")) return;
      state.q = "";
      writeState(state);
    }, true);
    root.addEventListener("change", function (event) {
      if (!event.target.classList.contains("pagefind-ui__filter-checkbox")) return;
      state.filters = checkedFilters(root);
      writeState(state);
    }, true);
    var sort = document.getElementById("search-sort");
    sort.value = state.sort;
    sort.addEventListener("change", function () {
      state.sort = sort.value;
      writeState(state);
      remount();
    });
  }

  function startSearchPage(root) {
    var state = readState();
    var script = document.createElement("script");
    script.src = root.dataset.bundle + "pagefind-ui.js";
    script.onerror = function () {
      document.getElementById("search-missing").hidden = false;
    };
    script.onload = function () {
      var ui = mount(root, state, null);
      var header = document.querySelector(".site-search");
      if (header) header.hidden = true;  // the page's own box replaces it
      document.querySelector(".search-tools").hidden = false;
      follow(root, state, function () { ui = mount(root, state, ui); });
    };
    document.head.appendChild(script);
  }

  function start() {
    var root = document.getElementById("search");
    if (root && root.dataset.bundle) startSearchPage(root);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
