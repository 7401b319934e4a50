/* litreview theme: the light/dark toggle and the "Copy citation" buttons.
 *
 * Without a saved choice the page follows the system (prefers-color-scheme, live). The toggle
 * saves the opposite of what is shown; choosing what the system already shows forgets the
 * choice, so the page follows the system again. A small script in <head> applies a saved
 * choice before the first paint. Everything else on the site works without JavaScript.
 */
(function () {
  "use strict";
  var KEY = "litreview-theme";
  var root = document.documentElement;
  var system = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

  function systemTheme() { return system && system.matches ? "dark" : "light"; }
  function shown() { return root.getAttribute("data-theme") || systemTheme(); }

  function save(theme) {
    try {
      if (theme === null) localStorage.removeItem(KEY); else localStorage.setItem(KEY, theme);
    } catch (e) { /* private mode: the choice lasts for this page only */ }
  }

  function sync() {
    var dark = shown() === "dark";
    document.querySelectorAll(".theme-toggle").forEach(function (button) {
      button.setAttribute("aria-pressed", dark ? "true" : "false");
    });
  }

  function toggle() {
    var next = shown() === "dark" ? "light" : "dark";
    if (next === systemTheme()) {
      root.removeAttribute("data-theme");
      save(null);
    } else {
      root.setAttribute("data-theme", next);
      save(next);
    }
    sync();
  }

  function copyText(text, done) {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(true); },
                                                function () { done(false); });
      return;
    }
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    done(ok);
  }

  function setUpCopy(button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    var status = document.getElementById(button.getAttribute("data-status"));
    if (!source) return;
    button.addEventListener("click", function () {
      copyText(source.textContent, function (ok) {
        if (status) {
          status.textContent = ok ? "Citation copied." : "Could not copy: select the BibTeX below.";
        }
        if (!ok) {
          var details = source.closest("details");
          if (details) details.open = true;
        }
      });
    });
  }

  function start() {
    document.querySelectorAll(".theme-toggle").forEach(function (button) {
      button.addEventListener("click", toggle);
    });
    document.querySelectorAll("button[data-copy]").forEach(setUpCopy);
    if (system && system.addEventListener) system.addEventListener("change", sync);
    sync();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
