/* The PSP run report's two lists, "Needs a person" and the documents of the run: sorting,
 * filtering, searching and paging (one component, ``List``, for both), and each document's details
 * drawn when a reviewer opens it.
 *
 * It reads the page's JSON data block (#psp-report-data) and builds every element with the DOM:
 * whatever came from a document is set with textContent or as an attribute value, never parsed
 * as HTML, and no event handler is written into the markup (the page's Content-Security-Policy
 * forbids inline script). Search folds accents and case on both sides (NFD, combining marks
 * dropped, lower case: "jose" finds "José"); text columns sort with Intl.Collator, numbers inside
 * them as numbers ("form-9" before "form-10"). Plain ES2018, no library, nothing fetched.
 */
(function () {
  "use strict";

  var dataNode = document.getElementById("psp-report-data");
  var docRoot = document.getElementById("doc-list");
  if (!dataNode || !docRoot) {
    return;
  }
  var DATA = JSON.parse(dataNode.textContent);
  var DOCS = DATA.docs;
  var WAITING = DATA.waiting || [];
  var OUTCOMES = DATA.outcomes;
  var OUTCOME_RANK = {};
  OUTCOMES.forEach(function (o, i) { OUTCOME_RANK[o] = i; });
  var BY_ID = new Map(DOCS.map(function (d) { return [d.id, d]; }));
  var PAGE_SIZES = [25, 50, 100, 250, 1000];
  var COLLATOR = new Intl.Collator("en", { numeric: true });
  var COMBINING_MARKS = /\p{M}/gu;

  /* ---- building elements: text only ------------------------------------------------------- */

  function h(tag, props) {
    var node = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (name) {
        var value = props[name];
        if (value === null || value === undefined || value === false) {
          return;
        }
        if (name === "text") {
          node.textContent = String(value);
        } else if (name === "className") {
          node.className = value;
        } else {
          node.setAttribute(name, value === true ? "" : String(value));
        }
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      append(node, arguments[i]);
    }
    return node;
  }

  function append(node, child) {
    if (child === null || child === undefined || child === false) {
      return;
    }
    if (Array.isArray(child)) {
      child.forEach(function (c) { append(node, c); });
    } else if (typeof child === "string" || typeof child === "number") {
      node.appendChild(document.createTextNode(String(child)));
    } else {
      node.appendChild(child);
    }
  }

  function words(outcome) {
    return outcome.replace(/_/g, " ");
  }

  function badge(outcome) {
    return h("span", { className: "badge " + outcome }, words(outcome));
  }

  function confidence(value) {
    if (value === null || value === undefined) {
      return h("span", { className: "muted" }, "—");
    }
    return h("span", { className: value < DATA.low_confidence ? "low" : null }, value.toFixed(2));
  }

  function number(n) {
    return n.toLocaleString("en-US");
  }


  /* ---- searching and sorting --------------------------------------------------------------- */

  /* Text as search compares it: accents and case folded away ("José" and "JOSE" are "jose"). */
  function fold(text) {
    return String(text).normalize("NFD").replace(COMBINING_MARKS, "").toLowerCase();
  }

  /* Numbers as numbers; text by the collator (case and accents second, digits as numbers). */
  function compareKeys(a, b) {
    if (typeof a === "number" && typeof b === "number") {
      return a - b;
    }
    return COLLATOR.compare(String(a), String(b));
  }

  function received(item) {
    return Date.parse(item.ts);
  }

  /* What a document is found by: its file, sender, form, outcome, findings and every value read. */
  function docText(doc) {
    var parts = ["#" + doc.id, doc.file, doc.sender || "", doc.form || "unknown", words(doc.outcome), doc.why];
    doc.findings.forEach(function (f) { parts.push(f.rule || "", f.label || "", f.message); });
    doc.values.forEach(function (v) { parts.push(v[0], v.length > 3 ? v[3] : ""); });
    return parts.join("\n");
  }

  /* ---- a list: filters, search, order and pages, drawn a page at a time --------------------- */

  /* ``options``: prefix (of the elements' ids), root, items (each with id, form, outcome),
   * outcomes offered, columns ({key, label, cls, sort}), text(item) for the search, row(item),
   * detail(item) for an openable list, size (rows a page), what ("documents"), of (" in this run"),
   * none ("No document of this run matches."), placeholder. */
  function List(options) {
    var self = this;
    var prefix = options.prefix;
    var items = options.items;
    var byId = new Map(items.map(function (item) { return [item.id, item]; }));
    var folded = new Map();
    var state = {
      sort: "received",
      dir: 1,
      outcomes: new Set(options.outcomes),
      form: "",
      query: "",
      page: 0,
      size: options.size,
      open: new Set(),
      printing: false
    };
    var view = null; // the filtered, sorted items; recomputed when a filter or the order changes
    var sortKeys = {};
    options.columns.forEach(function (col) { if (col.key) { sortKeys[col.key] = col.sort; } });

    function haystack(item) {
      if (!folded.has(item.id)) {
        folded.set(item.id, fold(options.text(item)));
      }
      return folded.get(item.id);
    }

    function compute() {
      var terms = fold(state.query).split(/\s+/).filter(Boolean);
      var list = items.filter(function (item) {
        if (!state.outcomes.has(item.outcome)) {
          return false;
        }
        if (state.form && (item.form || "unknown") !== state.form) {
          return false;
        }
        if (terms.length) {
          var text = haystack(item);
          return terms.every(function (t) { return text.indexOf(t) !== -1; });
        }
        return true;
      });
      var key = sortKeys[state.sort];
      var dir = state.dir;
      list.sort(function (a, b) {
        return dir * compareKeys(key(a), key(b)) || a.id - b.id;
      });
      view = list;
    }

    function changed() {
      view = null;
      state.page = 0;
      render();
    }

    /* the controls */
    var searchBox = h("input", { type: "search", id: prefix + "-search", placeholder: options.placeholder, "aria-label": "Search " + options.what });
    var outcomeBoxes = {};
    var outcomeSet = h("fieldset", { className: "outcomes" }, h("legend", null, "Outcome"));
    var present = {};
    items.forEach(function (item) { present[item.outcome] = (present[item.outcome] || 0) + 1; });
    options.outcomes.forEach(function (o) {
      var box = h("input", { type: "checkbox", value: o, checked: true, "data-outcome": o });
      box.checked = true;
      outcomeBoxes[o] = box;
      outcomeSet.appendChild(h("label", null, box, " ", badge(o), " ", h("span", { className: "muted" }, "(" + number(present[o] || 0) + ")")));
    });
    var formSelect = h("select", { id: prefix + "-form", "aria-label": "Form" }, h("option", { value: "" }, "All forms"));
    Array.from(new Set(items.map(function (item) { return item.form || "unknown"; }))).sort(COLLATOR.compare).forEach(function (f) {
      formSelect.appendChild(h("option", { value: f }, f));
    });
    var sizeSelect = h("select", { id: prefix + "-page-size", "aria-label": options.what + " per page" });
    PAGE_SIZES.forEach(function (n) {
      var option = h("option", { value: n }, n + " per page");
      option.selected = n === state.size;
      sizeSelect.appendChild(option);
    });
    var openAll = options.detail ? h("button", { type: "button", id: prefix + "-open-all" }, "Open all on this page") : null;
    var closeAll = options.detail ? h("button", { type: "button", id: prefix + "-close-all" }, "Close all") : null;
    var reset = h("button", { type: "button", id: prefix + "-reset" }, "Show all");

    var status = h("p", { className: "status-line", id: prefix + "-status", role: "status", "aria-live": "polite" });
    var headRow = h("tr");
    options.columns.forEach(function (col) {
      var th = h("th", { className: col.cls || null, scope: "col" });
      if (col.key) {
        th.setAttribute("data-sort", col.key);
        th.appendChild(h("button", { type: "button", "data-sort": col.key }, col.label));
      } else {
        th.appendChild(h("span", { className: "visually-hidden" }, "Details"));
      }
      headRow.appendChild(th);
    });
    var tbody = h("tbody");
    var table = h("table", { className: "list " + options.className, id: prefix + "-table" }, h("thead", null, headRow), tbody);
    var pageLabel = h("span", { className: "page-label" });
    var first = h("button", { type: "button", "data-page": "first" }, "« First");
    var prev = h("button", { type: "button", "data-page": "prev" }, "‹ Previous");
    var next = h("button", { type: "button", "data-page": "next" }, "Next ›");
    var last = h("button", { type: "button", "data-page": "last" }, "Last »");
    var pager = h("div", { className: "pager", id: prefix + "-pager" }, first, prev, pageLabel, next, last);

    options.root.appendChild(h("div", { className: "controls" },
      h("label", null, "Search ", searchBox),
      outcomeSet,
      h("label", null, "Form ", formSelect),
      sizeSelect, openAll, closeAll, reset));
    options.root.appendChild(status);
    options.root.appendChild(table);
    options.root.appendChild(pager);

    function pages() {
      return Math.max(1, Math.ceil(view.length / state.size));
    }

    function render() {
      if (view === null) {
        compute();
      }
      state.page = Math.min(state.page, pages() - 1);
      var start = state.printing ? 0 : state.page * state.size;
      var end = state.printing ? view.length : Math.min(view.length, start + state.size);
      var fragment = document.createDocumentFragment();
      for (var i = start; i < end; i++) {
        fragment.appendChild(options.row(view[i], state.open.has(view[i].id)));
        if (options.detail && state.open.has(view[i].id)) {
          fragment.appendChild(options.detail(view[i]));
        }
      }
      if (!view.length) {
        fragment.appendChild(h("tr", null, h("td", { colspan: options.columns.length, className: "muted" }, options.none)));
      }
      tbody.replaceChildren(fragment);

      var filtered = view.length !== items.length ? " (of " + number(items.length) + options.of + ")" : "";
      status.textContent = view.length
        ? "Showing " + number(start + 1) + "–" + number(end) + " of " + number(view.length) + " " + options.what + filtered + "."
        : "No document matches" + filtered + ".";
      pageLabel.textContent = "Page " + number(state.page + 1) + " of " + number(pages());
      first.disabled = prev.disabled = state.page === 0;
      next.disabled = last.disabled = state.page >= pages() - 1;
      headRow.querySelectorAll("th[data-sort]").forEach(function (th) {
        var key = th.getAttribute("data-sort");
        th.setAttribute("aria-sort", key === state.sort ? (state.dir > 0 ? "ascending" : "descending") : "none");
      });
      searchBox.value = state.query;
      formSelect.value = state.form;
      options.outcomes.forEach(function (o) { outcomeBoxes[o].checked = state.outcomes.has(o); });
    }

    /* Show one item: clear the filters that hide it, turn to its page, open it (``open``). */
    self.reveal = function (id, open) {
      var item = byId.get(id);
      if (!item) {
        return false;
      }
      if (view === null) {
        compute();
      }
      var at = view.indexOf(item);
      if (at === -1) {
        state.query = "";
        state.form = "";
        state.outcomes = new Set(options.outcomes);
        compute();
        at = view.indexOf(item);
      }
      state.page = Math.floor(at / state.size);
      if (open) {
        state.open.add(id);
      }
      render();
      return true;
    };

    /* Only ``outcome`` (all when empty) and ``form`` (all when empty), the search cleared. */
    self.filter = function (outcome, form) {
      state.outcomes = outcome ? new Set([outcome]) : new Set(options.outcomes);
      state.form = form || "";
      state.query = "";
      changed();
    };

    /* Printed: every item as filtered, not only this page. */
    self.printing = function (printing) {
      state.printing = printing;
      render();
    };

    /* events (all attached here; none in the markup) */
    var typing = null;
    searchBox.addEventListener("input", function () {
      clearTimeout(typing);
      typing = setTimeout(function () {
        state.query = searchBox.value;
        changed();
      }, 120);
    });
    outcomeSet.addEventListener("change", function (event) {
      var box = event.target;
      if (box.checked) {
        state.outcomes.add(box.value);
      } else {
        state.outcomes.delete(box.value);
      }
      changed();
    });
    formSelect.addEventListener("change", function () {
      state.form = formSelect.value;
      changed();
    });
    sizeSelect.addEventListener("change", function () {
      state.size = parseInt(sizeSelect.value, 10);
      state.page = 0;
      render();
    });
    if (options.detail) {
      openAll.addEventListener("click", function () {
        var start = state.page * state.size;
        view.slice(start, start + state.size).forEach(function (item) { state.open.add(item.id); });
        render();
      });
      closeAll.addEventListener("click", function () {
        state.open.clear();
        render();
      });
      tbody.addEventListener("click", function (event) {
        var toggle = event.target.closest("button[data-toggle]");
        if (!toggle) {
          return;
        }
        var id = parseInt(toggle.getAttribute("data-toggle"), 10);
        if (state.open.has(id)) {
          state.open.delete(id);
        } else {
          state.open.add(id);
        }
        render();
        var again = tbody.querySelector("button[data-toggle='" + id + "']");
        if (again) {
          again.focus();
        }
      });
    }
    reset.addEventListener("click", function () {
      self.filter("", "");
    });
    headRow.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-sort]");
      if (!button) {
        return;
      }
      var key = button.getAttribute("data-sort");
      state.dir = key === state.sort ? -state.dir : 1;
      state.sort = key;
      changed();
    });
    pager.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-page]");
      if (!button) {
        return;
      }
      var where = button.getAttribute("data-page");
      state.page = where === "first" ? 0 : where === "last" ? pages() - 1
        : Math.max(0, Math.min(pages() - 1, state.page + (where === "next" ? 1 : -1)));
      render();
      table.scrollIntoView({ block: "start" });
    });

    render();
  }

  /* ---- one document ------------------------------------------------------------------------ */

  var DOC_COLUMNS = [
    { key: null, label: "" },
    { key: "id", label: "#", cls: "num", sort: function (d) { return d.id; } },
    { key: "file", label: "File", sort: function (d) { return d.file; } },
    { key: "received", label: "Received", sort: received },
    { key: "form", label: "Form", sort: function (d) { return d.form || "unknown"; } },
    { key: "outcome", label: "Outcome", sort: function (d) { return OUTCOME_RANK[d.outcome]; } },
    { key: "findings", label: "Findings", sort: function (d) { return d.findings.length; } },
    { key: "low", label: "Lowest confidence", cls: "num", sort: function (d) { return d.low === null ? 2 : d.low; } }
  ];

  /* The file's name, and a link to the original kept in the data home when it is there still. */
  function fileCell(item, link) {
    return h("td", { className: "file" }, link,
      item.original ? h("a", { href: item.original, className: "original", title: "The original file, as received" }, "original") : null);
  }

  function docRow(doc, isOpen) {
    var rules = Array.from(new Set(doc.findings.map(function (f) { return f.rule; }).filter(Boolean))).sort();
    return h("tr", { className: "doc-row" + (isOpen ? " open" : ""), id: "doc-" + doc.id, "data-id": doc.id },
      h("td", null, h("button", {
        type: "button", className: "toggle", "data-toggle": doc.id, "aria-expanded": isOpen ? "true" : "false",
        "aria-controls": "detail-" + doc.id, "aria-label": (isOpen ? "Close" : "Open") + " document #" + doc.id
      }, isOpen ? "▾" : "▸")),
      h("td", { className: "num" }, String(doc.id)),
      fileCell(doc, h("a", { href: "#doc-" + doc.id, "data-doc": doc.id }, doc.file)),
      h("td", { className: "nowrap" }, doc.at),
      h("td", { className: "nowrap" }, doc.form || "unknown"),
      h("td", null, badge(doc.outcome)),
      h("td", null, doc.findings.length ? String(doc.findings.length) + (rules.length ? " · " + rules.join(", ") : "") : h("span", { className: "muted" }, "none")),
      h("td", { className: "num" }, confidence(doc.low)));
  }

  function value(text) {
    return text === "" || text === null || text === undefined ? h("span", { className: "empty-value" }, "(empty)") : text;
  }

  function detail(doc) {
    var box = h("div", { className: "doc-detail" });
    box.appendChild(h("p", { className: "why" }, badge(doc.outcome), " ", doc.why));
    var meta = h("p", { className: "meta" },
      (doc.form ? DATA.forms[doc.form].title : "Unknown document") + (doc.version ? " " + doc.version : ""), " · received ", doc.at,
      doc.kind ? " · read as " + doc.kind : "",
      doc.sender ? [" · sent by ", h("span", null, doc.sender)] : "",
      h("br"), "sha256 ", h("code", null, doc.sha256), " · original kept at ", h("code", null, doc.stored),
      doc.original ? [" ", h("a", { href: doc.original, className: "original" }, "open the original")] : null);
    if (doc.notice) {
      meta.appendChild(h("br"));
      append(meta, ["Notice written to ", doc.notice.to ? doc.notice.to : h("strong", null, "no address (send it by hand)"), ": ", h("code", null, doc.notice.path)]);
    }
    box.appendChild(meta);

    if (doc.findings.length) {
      var rows = doc.findings.map(function (f) {
        return h("tr", null,
          h("td", { className: "nowrap" }, f.rule || "—"),
          h("td", null, f.label || ""),
          h("td", null, f.field ? value(f.read) : ""),
          h("td", { className: "small" }, f.where || ""),
          h("td", { className: "num" }, f.field ? confidence(f.confidence) : ""),
          h("td", null, h("span", { className: "sev-" + f.severity }, f.severity), " ", f.message));
      });
      box.appendChild(h("h3", null, "Findings"));
      box.appendChild(h("table", { className: "findings" },
        h("thead", null, h("tr", null, h("th", null, "Rule"), h("th", null, "Field"), h("th", null, "Value as read"),
          h("th", null, "Where read"), h("th", { className: "num" }, "Confidence"), h("th", null, "What is wrong"))),
        h("tbody", null, rows)));
    }

    var layout = doc.form ? DATA.forms[doc.form] : null;
    if (layout && layout.sections && doc.values.length) {
      var flagged = {};
      doc.findings.forEach(function (f) {
        if (f.field) {
          (flagged[f.field] = flagged[f.field] || []).push(f);
        }
      });
      box.appendChild(h("h3", null, "The form as read"));
      var index = 0;
      layout.sections.forEach(function (section) {
        var body = h("tbody");
        section.fields.forEach(function (field) {
          var v = doc.values[index++] || ["", 0, null];
          var conf = v.length > 2 ? v[2] : 1;
          var marks = (flagged[field[0]] || []).map(function (f) {
            return h("span", { className: "sev-" + f.severity + " small" }, " " + (f.rule || f.severity));
          });
          body.appendChild(h("tr", { className: marks.length ? "has-finding" : null },
            h("td", { className: "label" }, field[1]),
            h("td", { className: "value" }, value(v[0]), marks,
              v.length > 3 && v[3] !== "" ? h("span", { className: "as-read" }, "written as: " + v[3]) : null),
            h("td", { className: "src" }, DATA.places[v[1]], conf === null ? null : [" · ", confidence(conf)])));
        });
        box.appendChild(h("h4", null, section.title));
        box.appendChild(h("table", { className: "form" }, body));
      });
    } else if (doc.outcome !== "duplicate") {
      box.appendChild(h("p", { className: "muted" }, "Not read as one of the two forms: there are no fields to show."));
    }
    return h("tr", { className: "detail", id: "detail-" + doc.id }, h("td", { colspan: DOC_COLUMNS.length }, box));
  }


  /* ---- what waits for a person ------------------------------------------------------------- */

  var WAIT_COLUMNS = [
    { key: "id", label: "#", cls: "num", sort: function (w) { return w.id; } },
    { key: "received", label: "Received", sort: received },
    { key: "outcome", label: "Outcome", sort: function (w) { return OUTCOME_RANK[w.outcome]; } },
    { key: "file", label: "File", sort: function (w) { return w.file; } },
    { key: "form", label: "Form", sort: function (w) { return w.form || "unknown"; } },
    { key: "reason", label: "Why", sort: function (w) { return w.reason; } }
  ];

  /* A waiting document of this run is found by all it holds; one of an earlier run by what the
   * store says of it here. */
  function waitText(w) {
    var doc = BY_ID.get(w.id);
    var parts = ["#" + w.id, w.file, w.form || "unknown", words(w.outcome), w.reason, w.run ? "run " + w.run : ""];
    return parts.join("\n") + (doc ? "\n" + docText(doc) : "");
  }

  function waitRow(w) {
    var doc = BY_ID.get(w.id);
    var link = w.href ? h("a", { href: w.href }, w.file) : w.file;
    var where = doc ? null : h("span", { className: "muted small" }, w.run ? " (run " + w.run + ")" : " (earlier run)");
    return h("tr", { className: "wait-row", id: "wait-" + w.id, "data-id": w.id },
      h("td", { className: "num" }, String(w.id)),
      h("td", { className: "nowrap" }, w.at),
      h("td", null, badge(w.outcome)),
      fileCell(doc || {}, [link, where]),
      h("td", { className: "nowrap" }, w.form || "unknown"),
      h("td", { className: "reason" }, w.reason, w.more ? h("span", { className: "muted" }, " (+" + w.more + " more)") : null));
  }

  /* ---- the two lists ----------------------------------------------------------------------- */

  var waitRoot = document.getElementById("wait-list");
  var waitList = waitRoot ? new List({
    prefix: "wait", root: waitRoot, className: "waiting", items: WAITING,
    outcomes: OUTCOMES.filter(function (o) { return WAITING.some(function (w) { return w.outcome === o; }); }),
    columns: WAIT_COLUMNS, text: waitText, row: waitRow, detail: null, size: 25,
    what: "documents", of: " waiting", none: "Nothing waiting matches.",
    placeholder: "File, #id, name, email, city, rule…"
  }) : null;
  var docList = new List({
    prefix: "doc", root: docRoot, className: "docs", items: DOCS, outcomes: OUTCOMES,
    columns: DOC_COLUMNS, text: docText, row: docRow, detail: detail, size: 100,
    what: "documents", of: " in this run", none: "No document of this run matches.",
    placeholder: "File, #id, name, email, city, rule, sender…"
  });

  /* Show a document of this run: open it on its page of the list and scroll to it. */
  function reveal(id, scroll) {
    if (!docList.reveal(id, true)) {
      return false;
    }
    var node = document.getElementById("doc-" + id);
    if (node && scroll) {
      node.scrollIntoView({ block: "start" });
    }
    return true;
  }

  /* ---- events of the page ------------------------------------------------------------------ */

  /* Links to a document (from this list or from "Needs a person") and count cells (filters). */
  document.addEventListener("click", function (event) {
    var link = event.target.closest("a");
    if (!link) {
      return;
    }
    var href = link.getAttribute("href") || "";
    var match = /^#doc-(\d+)$/.exec(href);
    if (match && reveal(parseInt(match[1], 10), true)) {
      event.preventDefault();
      if (location.hash !== href) {
        history.pushState(null, "", href);
      }
      return;
    }
    if (link.hasAttribute("data-outcome") || link.hasAttribute("data-form")) {
      event.preventDefault();
      docList.filter(link.getAttribute("data-outcome"), link.getAttribute("data-form"));
      document.getElementById("documents").scrollIntoView({ block: "start" });
    }
  });
  function followHash() {
    var match = /^#doc-(\d+)$/.exec(location.hash);
    if (match) {
      reveal(parseInt(match[1], 10), true);
    }
  }
  window.addEventListener("hashchange", followHash);
  /* Printed: every item of both lists as filtered, not only this page (details of the open ones). */
  window.addEventListener("beforeprint", function () {
    [docList, waitList].forEach(function (list) { if (list) { list.printing(true); } });
  });
  window.addEventListener("afterprint", function () {
    [docList, waitList].forEach(function (list) { if (list) { list.printing(false); } });
  });

  document.documentElement.classList.add("js");
  followHash();
  document.documentElement.setAttribute("data-ready", "true");
  if (window.performance && performance.mark) {
    performance.mark("psp-report-ready"); // read by benchmarks/report_open.py
  }
})();
