// IMS desk: keyboard shortcuts, SLA countdowns, the live priority preview.
// Everything here is an enhancement: pages work without JavaScript.
(function () {
  "use strict";

  function formatRemaining(ms) {
    var late = ms < 0;
    var s = Math.floor(Math.abs(ms) / 1000);
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    var text = d > 0 ? d + "d " + h + "h" : h > 0 ? h + "h " + m + "m" : m + "m " + (s % 60) + "s";
    return late ? text + " overdue" : text;
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due"));
      if (!isNaN(due)) { el.textContent = formatRemaining(due - now); }
    });
  }

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("[data-row]")); }

  function move(step) {
    var all = rows();
    if (!all.length) { return; }
    var index = all.findIndex(function (r) { return r.classList.contains("selected"); });
    var next = Math.max(0, Math.min(all.length - 1, index + step));
    all.forEach(function (r) { r.classList.remove("selected"); });
    all[next].classList.add("selected");
    all[next].scrollIntoView({ block: "nearest" });
  }

  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || event.metaKey || event.ctrlKey || event.altKey) { return; }
    if (event.key === "/") {
      var search = document.querySelector("[data-search]");
      if (search) { event.preventDefault(); search.focus(); }
    } else if (event.key === "j") { move(1); }
    else if (event.key === "k") { move(-1); }
    else if (event.key === "Enter") {
      var selected = document.querySelector("[data-row].selected");
      if (selected) { window.location.href = selected.getAttribute("data-href"); }
    }
  });

  function priorityPreview() {
    var form = document.querySelector("[data-report]");
    var data = document.getElementById("priority-matrix");
    if (!form || !data) { return; }
    var matrix = JSON.parse(data.textContent);
    var out = form.querySelector("[data-priority-preview]");
    function update() {
      var impact = form.querySelector("input[name=impact]:checked");
      var urgency = form.querySelector("input[name=urgency]:checked");
      var p = impact && urgency ? matrix[impact.value + ":" + urgency.value] : null;
      out.textContent = p || "—";
      out.className = p ? "prio " + p : "";
    }
    form.addEventListener("change", update);
    update();
  }

  function foldFiltersOnPhones() {
    // the filter panel takes a phone's first screen: fold it there unless a filter is set
    var more = document.querySelector("[data-more-filters]");
    if (!more) { return; }
    var narrow = window.matchMedia("(max-width: 700px)");
    function apply() { more.open = !narrow.matches || more.getAttribute("data-active") !== "0"; }
    apply();
    narrow.addEventListener("change", apply);
  }

  function openFromHash() {
    // a link to #act-confirm opens that action's panel
    var target = window.location.hash && document.getElementById(window.location.hash.slice(1));
    if (target && target.tagName.toLowerCase() === "details") { target.open = true; target.scrollIntoView(); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    openFromHash();
    window.addEventListener("hashchange", openFromHash);
    tick();
    setInterval(tick, 1000);
    priorityPreview();
    foldFiltersOnPhones();
  });
  document.addEventListener("htmx:afterSwap", tick);

  // Self-refreshing lists ([data-poll]): skipped while the tab is hidden, and marked as
  // background requests, which do not keep an idle session alive. (A filter expression in
  // hx-trigger would need eval, which the content security policy refuses.)
  document.addEventListener("htmx:confirm", function (event) {
    if (event.target.hasAttribute("data-poll") && document.visibilityState !== "visible") {
      event.preventDefault();
    }
  });
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.elt.hasAttribute("data-poll")) { event.detail.headers["X-IMS-Background"] = "1"; }
  });
})();
