/* melanoscan history on this phone: opt-in, kept in this browser's IndexedDB, never sent to the server.
 *
 * - Result card (app.js dispatches "melanoscan:result" after drawing it): the screening id, and "Save on this
 *   phone" with an optional body-site label and a spot to follow. What is saved: the date, the outcome (advice,
 *   top class, probabilities rounded to 0.01 %, alerts), the screening id, the label and a 128 px JPEG thumbnail
 *   drawn here from the person's own photo. The thumbnail of the last result also stays in sessionStorage, so
 *   the card restored after Back or a reload can still be saved with it.
 * - /history: spots followed (their checks side by side, oldest first), every check (newest first), assign a
 *   check to a spot, delete one, delete all (each confirmed).
 * - /history/summary#spot=<id> or #check=<id>: one printable page for a doctor (print stylesheet in
 *   history.css). What to show is after '#', which browsers never send, so not even that reaches the server.
 *
 * Loaded before app.js (it may restore a result as soon as it runs); uses app.js's hooks (window.melanoscan)
 * only when drawing. Strings come from i18n.json through the page's config, as app.js's do.
 */
(function () {
  "use strict";

  var DB_NAME = "melanoscan-history";
  var DB_VERSION = 1;
  var THUMB_PX = 128;
  var THUMB_QUALITY = 0.8;
  var LAST_THUMB_KEY = "melanoscan.lastThumb";  // sessionStorage: {id, thumb} of the result on show
  var MAX_TEXT = 60;                             // body-site labels and spot names
  var cfg = JSON.parse(document.getElementById("melanoscan-config").textContent);
  var STRINGS = cfg.strings;
  var CLASS_ORDER = ["melanoma", "nevus", "seborrheic_keratosis"];

  // ---------------------------------------------------------------- small helpers

  function lang() { return document.documentElement.lang === "en" ? "en" : "ko"; }

  function t(key, vars) {
    var s = (STRINGS[lang()] && STRINGS[lang()][key]) || STRINGS.en[key] || key;
    Object.keys(vars || {}).forEach(function (k) { s = s.split("{" + k + "}").join(String(vars[k])); });
    return s;
  }

  function $(id) { return document.getElementById(id); }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === "text") node.textContent = v;
      else if (k === "class") node.className = v;
      else if (k.indexOf("on") === 0) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }

  function formatDate(iso, withTime) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) return "";
    var options = { year: "numeric", month: "short", day: "numeric" };
    if (withTime) { options.hour = "2-digit"; options.minute = "2-digit"; }
    return new Intl.DateTimeFormat(lang() === "ko" ? "ko-KR" : "en-GB", options).format(date);
  }

  // The card's own rounding (app.js formatPct: whole percent, never "100%").
  function aboutPct(p) {
    var hooks = window.melanoscan;
    return hooks ? hooks.aboutPct(p) : Math.round(p * 100) + "%";
  }

  function className(label) {
    var key = "class_" + label;
    var name = t(key);
    return name === key ? String(label).replace(/_/g, " ") : name;
  }

  function headline(check) {
    if (check.advice === "monitor") return t("advice_monitor_title_" + check.label);
    return t(check.advice === "retake" ? "advice_retake_title" : "advice_see_title");
  }

  function clip(text) { return String(text || "").replace(/\s+/g, " ").trim().slice(0, MAX_TEXT); }

  function newId() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  // ---------------------------------------------------------------- IndexedDB, a thin promise wrapper
  //
  // Two stores: "checks" (key: the screening id) and "spots" (key: a random id, a name). A spot lives as long as
  // a check is assigned to it.

  var opened = null;

  function openDb() {
    if (!opened) {
      opened = new Promise(function (resolve, reject) {
        if (!window.indexedDB) { reject(new Error("IndexedDB unavailable")); return; }
        var req;
        try { req = window.indexedDB.open(DB_NAME, DB_VERSION); } catch (e) { reject(e); return; }
        req.onupgradeneeded = function () {
          var db = req.result;
          if (!db.objectStoreNames.contains("checks")) db.createObjectStore("checks", { keyPath: "id" });
          if (!db.objectStoreNames.contains("spots")) db.createObjectStore("spots", { keyPath: "id" });
        };
        req.onsuccess = function () {
          var db = req.result;
          db.onversionchange = function () { db.close(); opened = null; };  // a newer page upgrades it
          resolve(db);
        };
        req.onerror = function () { reject(req.error); };
      });
      opened.catch(function () { opened = null; });
    }
    return opened;
  }

  /** Runs `work(stores)` in one transaction; resolves with what the last read kept, once it is committed. */
  function transact(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(["checks", "spots"], mode);
        var out;
        work({ checks: tx.objectStore("checks"), spots: tx.objectStore("spots") }, function (req) {
          req.onsuccess = function () { out = req.result; };
        });
        tx.oncomplete = function () { resolve(out); };
        tx.onerror = tx.onabort = function () { reject(tx.error || new Error("transaction aborted")); };
      });
    });
  }

  function loadAll() {
    var all = {};
    return transact("readonly", function (s) {
      s.checks.getAll().onsuccess = function (e) { all.checks = e.target.result; };
      s.spots.getAll().onsuccess = function (e) { all.spots = e.target.result; };
    }).then(function () {
      all.checks.sort(function (a, b) { return a.checkedAt < b.checkedAt ? 1 : a.checkedAt > b.checkedAt ? -1 : 0; });
      all.spots.sort(function (a, b) { return a.createdAt < b.createdAt ? -1 : 1; });
      return all;
    });
  }

  // Spots with no check left go too: a spot is the checks that follow it.
  function pruneSpots(s) {
    s.checks.getAll().onsuccess = function (e) {
      var used = {};
      e.target.result.forEach(function (c) { if (c.spotId) used[c.spotId] = true; });
      s.spots.getAll().onsuccess = function (f) {
        f.target.result.forEach(function (spot) { if (!used[spot.id]) s.spots.delete(spot.id); });
      };
    };
  }

  /** The spot id a check belongs to. `spot`: "" (not followed), an existing spot's id, or {name} for a new
   *  one, which is created in the same transaction. */
  function spotIdFor(s, spot) {
    if (!spot || typeof spot !== "object") return spot || "";
    var created = { id: newId(), name: spot.name, createdAt: new Date().toISOString() };
    s.spots.put(created);
    return created.id;
  }

  function putCheck(check, spot) {
    return transact("readwrite", function (s) {
      check.spotId = spotIdFor(s, spot);
      s.checks.put(check);
      pruneSpots(s);
    });
  }

  function assignSpot(checkId, spot) {
    return transact("readwrite", function (s) {
      s.checks.get(checkId).onsuccess = function (e) {
        var check = e.target.result;
        if (!check) return;
        check.spotId = spotIdFor(s, spot);
        s.checks.put(check).onsuccess = function () { pruneSpots(s); };
      };
    });
  }

  function deleteCheck(id) {
    return transact("readwrite", function (s) { s.checks.delete(id).onsuccess = function () { pruneSpots(s); }; });
  }

  function deleteAll() {
    return transact("readwrite", function (s) { s.checks.clear(); s.spots.clear(); });
  }

  // ---------------------------------------------------------------- what a saved check holds

  function roundedProbabilities(probs) {
    var out = {};
    Object.keys(probs || {}).forEach(function (c) {
      if (typeof probs[c] === "number") out[c] = Math.round(probs[c] * 10000) / 10000;
    });
    return out;
  }

  function checkRecord(shown, site) {
    var b = shown.body;
    return {
      id: shown.id,
      checkedAt: shown.at,
      savedAt: new Date().toISOString(),
      status: b.status,
      advice: shown.advice,
      label: b.label || null,
      probability: typeof b.probability === "number" ? Math.round(b.probability * 10000) / 10000 : null,
      probabilities: roundedProbabilities(b.probabilities),
      melanomaAlert: !!b.melanoma_alert,
      carcinomaAlert: !!b.carcinoma_alert,
      retakeReason: b.retake_reason || null,
      model: b.model ? { name: String(b.model.name || ""), version: String(b.model.version || "") } : null,
      site: site,
      spotId: "",
      thumb: shown.thumbUrl || null,
    };
  }

  // A 128 px JPEG of the person's own photo, drawn here; null when this browser cannot decode it (HEIC).
  function makeThumb(photo) {
    if (!photo || typeof createImageBitmap !== "function") return Promise.resolve(null);
    return createImageBitmap(photo, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, THUMB_PX / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(bitmap.width * scale));
      canvas.height = Math.max(1, Math.round(bitmap.height * scale));
      var ctx = canvas.getContext("2d");
      ctx.imageSmoothingEnabled = true;
      ctx.imageSmoothingQuality = "high";
      ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      if (bitmap.close) bitmap.close();
      return canvas.toDataURL("image/jpeg", THUMB_QUALITY);
    }).then(null, function () { return null; });
  }

  function keptThumb(id) {
    try {
      var kept = JSON.parse(window.sessionStorage.getItem(LAST_THUMB_KEY) || "null");
      return kept && kept.id === id ? kept.thumb : null;
    } catch (e) { return null; }
  }

  function keepThumb(id, thumb) {
    try {
      if (thumb) window.sessionStorage.setItem(LAST_THUMB_KEY, JSON.stringify({ id: id, thumb: thumb }));
      else window.sessionStorage.removeItem(LAST_THUMB_KEY);
    } catch (e) { /* full or private mode: the check can still be saved without it */ }
  }

  // ---------------------------------------------------------------- spot picker (result card and history)

  function spotOptions(select, spots, chosen) {
    select.textContent = "";
    select.appendChild(el("option", { value: "", text: t("spot_none") }));
    spots.forEach(function (spot) { select.appendChild(el("option", { value: spot.id, text: spot.name })); });
    select.appendChild(el("option", { value: "new", text: t("spot_new") }));
    select.value = chosen && (chosen === "new" || spots.some(function (s) { return s.id === chosen; })) ? chosen : "";
  }

  /** The choice as putCheck and assignSpot take it; a new spot without a name is "Spot <n>". */
  function spotChoice(select, nameInput, spots) {
    if (select.value !== "new") return select.value;
    return { name: clip(nameInput.value) || t("spot_default_name", { n: spots.length + 1 }) };
  }

  // ---------------------------------------------------------------- result card: screening id, save

  var shown = null;     // {id, body, advice, at, thumbUrl, form: {site, spot, name}} of the card on show
  var saved = {};       // screening ids saved on this phone (loaded once, then kept up to date)
  var spotsKnown = [];
  var loaded = null;

  function loadSaved() {
    loaded = loadAll().then(function (all) {
      saved = {};
      all.checks.forEach(function (c) { saved[c.id] = true; });
      spotsKnown = all.spots;
      return true;
    }, function () { return false; });  // no IndexedDB here: the card says so instead of offering to save
    return loaded;
  }
  loadSaved();

  function onResult(event) {
    var d = event.detail || {};
    var body = d.body || {};
    var id = String(body.screening_id || "");
    if (!d.card || !id) return;
    if (!shown || shown.id !== id) {
      shown = { id: id, body: body, advice: d.advice, at: d.at || new Date().toISOString(), thumbUrl: keptThumb(id),
        form: { site: "", spot: "", name: "" } };
      if (d.photo) {
        var mine = shown;
        mine.thumbReady = makeThumb(d.photo).then(function (url) {
          mine.thumbUrl = url;
          if (shown === mine) { keepThumb(id, url); showThumb(); }
          return url;
        });
      }
    }
    d.card.appendChild(idLine(id, "screening-id"));
    if (d.advice === "retake") return;  // nothing to follow in a photo that could not be judged
    var keep = keepPanel();
    d.card.insertBefore(keep, d.card.querySelector(".disclaimer"));
    loaded.then(function (ok) { if (shown && shown.id === id) settlePanel(ok); });
  }

  function keepPanel() {
    var form = shown.form;
    var site = el("input", { id: "keep-site", type: "text", maxlength: String(MAX_TEXT), autocomplete: "off",
      oninput: function () { form.site = site.value; } });
    site.value = form.site;
    var select = el("select", { id: "keep-spot" });
    spotOptions(select, spotsKnown, form.spot);
    var name = el("input", { id: "keep-new-name", type: "text", maxlength: String(MAX_TEXT), autocomplete: "off",
      oninput: function () { form.name = name.value; } });
    name.value = form.name;
    var nameField = el("div", { class: "field", id: "keep-new-field", hidden: select.value !== "new" }, [
      el("label", { for: "keep-new-name", text: t("spot_new_name") }), name,
    ]);
    select.addEventListener("change", function () {
      form.spot = select.value;
      nameField.hidden = select.value !== "new";
      if (!nameField.hidden) name.focus();
    });
    var thumb = shown.thumbUrl || shown.thumbReady
      ? el("img", { class: "thumb", id: "keep-thumb", alt: t("keep_thumb_alt"), width: "64", height: "64", src: shown.thumbUrl })
      : null;
    return el("section", { class: "keep", id: "keep", "aria-labelledby": "keep-title" }, [
      el("h3", { id: "keep-title", text: t("keep_heading") }),
      el("div", { class: "keep-why" }, [thumb, el("p", { class: "small", text: t("keep_why") })]),
      el("form", { id: "keep-form", class: "keep-form", novalidate: true, onsubmit: onSave, hidden: !!saved[shown.id] }, [
        el("div", { class: "field" }, [el("label", { for: "keep-site", text: t("keep_site") }), site]),
        el("div", { class: "field" }, [el("label", { for: "keep-spot", text: t("keep_spot") }), select]),
        nameField,
        el("button", { type: "submit", class: "button", id: "keep-save", text: t("keep_save") }),
      ]),
      // The only live part: the rest of the card is an atomic live region that must not be read again.
      el("p", { class: "status", id: "keep-status", role: "status", text: saved[shown.id] ? t("keep_saved") : "" }),
      el("a", { class: "button", id: "keep-history", href: "/history", text: t("open_history") }),
    ]);
  }

  function showThumb() {
    var img = $("keep-thumb");
    if (!img || !shown) return;
    if (shown.thumbUrl) img.src = shown.thumbUrl;
    else img.remove();
  }

  // Once IndexedDB answered: the spots to choose from, and "saved" for a check already on this phone.
  function settlePanel(ok) {
    var form = $("keep-form");
    if (!form) return;
    if (!ok) {
      form.hidden = true;
      $("keep-history").hidden = true;
      $("keep-status").textContent = t("history_unavailable");
      return;
    }
    spotOptions($("keep-spot"), spotsKnown, shown.form.spot);
    $("keep-new-field").hidden = $("keep-spot").value !== "new";
    var done = !!saved[shown.id];
    if (form.hidden !== done) form.hidden = done;
    $("keep-save").disabled = false;
    var status = done ? t("keep_saved") : "";
    if ($("keep-status").textContent !== status) $("keep-status").textContent = status;
  }

  function onSave(event) {
    event.preventDefault();
    var mine = shown;
    var button = $("keep-save");
    button.disabled = true;
    var spot = spotChoice($("keep-spot"), $("keep-new-name"), spotsKnown);
    (mine.thumbReady || Promise.resolve(mine.thumbUrl)).then(function () {
      return putCheck(checkRecord(mine, clip($("keep-site").value)), spot);
    }).then(function () {
      saved[mine.id] = true;
      // Ask the browser not to clear it under storage pressure (granted or refused quietly by most browsers).
      if (navigator.storage && navigator.storage.persist) navigator.storage.persist().then(null, function () { /* */ });
      return loadAll().then(function (all) { spotsKnown = all.spots; }, function () { /* saved all the same */ });
    }).then(function () {
      if (shown !== mine || !$("keep-form")) return;
      $("keep-form").hidden = true;
      $("keep-status").textContent = t("keep_saved");
      $("keep-history").focus();
    }, function () {
      if (shown !== mine || !$("keep-form")) return;
      button.disabled = false;
      $("keep-status").textContent = t("keep_failed");
    });
  }

  // ---------------------------------------------------------------- the history page

  function setStatus(id, key, vars) {
    var status = $(id);
    if (!status) return;
    delete status.dataset.i18n;  // app.js would put "Loading…" back on a language switch
    status.textContent = key ? t(key, vars) : "";
  }

  function thumbImg(check, size) {
    return check.thumb
      ? el("img", { class: "thumb", src: check.thumb, width: String(size), height: String(size),
        alt: t("thumb_alt", { date: formatDate(check.checkedAt, true) }) })
      : el("div", { class: "thumb no-thumb", "aria-hidden": "true" });
  }

  function topLine(check) {
    var p = check.probability !== null ? check.probability : (check.probabilities || {})[check.label];
    return check.label ? t("details_top", { label: className(check.label), pct: aboutPct(p || 0) }) : "";
  }

  function alertsOf(check) {
    var alerts = [];
    if (check.melanomaAlert && check.label !== "melanoma") alerts.push(t("alert_melanoma"));
    if (check.carcinomaAlert) alerts.push(t("alert_carcinoma"));
    return alerts;
  }

  // "Screening id: <uuid>": what a doctor, or we when asked about a result, can find it by.
  function idLine(id, spanId) {
    return el("p", { class: "small screening-id" }, [
      t("screening_id_label") + ": ",
      el("span", { class: "sid", id: spanId || null, translate: "no", text: id }),
    ]);
  }

  /** Draws the page from IndexedDB, then says `said` (what was just done) and focuses `focusId` if given. */
  function renderHistory(said, focusId) {
    var root = $("history");
    if (!root) return;
    loadAll().then(function (all) {
      root.textContent = "";
      root.dataset.state = all.checks.length ? "ready" : "empty";
      setStatus("history-status", said ? said.key : null, said && said.vars);
      if (all.checks.length) drawHistory(root, all);
      else {
        root.appendChild(el("p", { id: "history-empty", text: t("history_empty") }));
        root.appendChild(el("div", { class: "actions" }, [el("a", { class: "button primary", href: "/", text: t("nav_check") })]));
      }
      if (focusId && $(focusId)) $(focusId).focus();
    }, function () {
      root.textContent = "";
      root.dataset.state = "unavailable";
      setStatus("history-status", "history_unavailable");
    });
  }

  function drawHistory(root, all) {
    var followed = all.spots.map(function (spot) {
      return { spot: spot, checks: all.checks.filter(function (c) { return c.spotId === spot.id; }).reverse() };
    }).filter(function (f) { return f.checks.length; });
    if (followed.length) root.appendChild(spotsSection(followed));
    root.appendChild(checksSection(all));
  }

  function spotsSection(followed) {
    return el("section", { class: "spots", "aria-labelledby": "spots-title" }, [
      el("h2", { id: "spots-title", text: t("spots_heading") }),
      el("p", { class: "small", text: t("spots_why") }),
    ].concat(followed.map(function (f) {
      var sites = unique(f.checks.map(function (c) { return c.site; }));
      var titleId = "spot-title-" + f.spot.id;
      return el("article", { class: "card spot", "data-spot-id": f.spot.id, "aria-labelledby": titleId }, [
        el("h3", { id: titleId, text: f.spot.name }),
        el("p", { class: "small" }, [t("spot_count", { n: f.checks.length }) + (sites.length ? " · " + sites.join(", ") : "")]),
        // Oldest first, side by side: what changed between two checks is what matters.
        el("ol", { class: "timeline" }, f.checks.map(function (c) {
          return el("li", { "data-check-id": c.id, class: "advice-" + c.advice }, [
            thumbImg(c, 112),
            el("p", { class: "t-date" }, [el("time", { datetime: c.checkedAt, text: formatDate(c.checkedAt, false) })]),
            el("p", { class: "t-outcome", text: headline(c) }),
            el("p", { class: "t-top small", text: topLine(c) }),
          ]);
        })),
        el("div", { class: "actions" }, [
          el("a", { class: "button", href: "/history/summary#spot=" + encodeURIComponent(f.spot.id),
            "aria-label": t("summary_link_label", { name: f.spot.name }), text: t("title_summary") }),
        ]),
      ]);
    })));
  }

  function unique(values) {
    return values.filter(function (v, i) { return v && values.indexOf(v) === i; });
  }

  function checksSection(all) {
    var list = el("ol", { class: "check-list" }, all.checks.map(function (c) { return checkItem(c, all.spots); }));
    return el("section", { class: "checks", "aria-labelledby": "checks-title" }, [
      el("h2", { id: "checks-title", text: t("checks_heading") }),
      list,
      el("div", { class: "actions" }, [
        el("button", { type: "button", class: "button danger", id: "delete-all", text: t("delete_all"),
          onclick: function () { onDeleteAll(all.checks.length); } }),
      ]),
    ]);
  }

  function checkItem(check, spots) {
    var when = formatDate(check.checkedAt, true);
    var selectId = "spot-" + check.id;
    var select = el("select", { id: selectId });
    spotOptions(select, spots, check.spotId);
    var name = el("input", { id: "spot-name-" + check.id, type: "text", maxlength: String(MAX_TEXT), autocomplete: "off" });
    var create = el("button", { type: "button", class: "button", text: t("spot_create") });
    var nameField = el("div", { class: "field spot-new", hidden: true }, [
      el("label", { for: "spot-name-" + check.id, text: t("spot_new_name") }), name, create,
    ]);
    function apply(spot) {
      assignSpot(check.id, spot).then(function () {
        var label = spot && typeof spot === "object" ? spot.name : (spots.filter(function (s) { return s.id === spot; })[0] || {}).name;
        renderHistory({ key: label ? "moved_to_spot" : "removed_from_spot", vars: { name: label } }, selectId);
      }, function () { setStatus("history-status", "keep_failed"); });
    }
    select.addEventListener("change", function () {
      nameField.hidden = select.value !== "new";
      if (select.value === "new") name.focus();
      else apply(select.value);
    });
    create.addEventListener("click", function () { apply(spotChoice(select, name, spots)); });
    var alerts = alertsOf(check);
    return el("li", { class: "card check advice-" + check.advice, "data-check-id": check.id }, [
      el("div", { class: "check-head" }, [
        thumbImg(check, 96),
        el("div", { class: "check-body" }, [
          el("h3", { class: "check-date" }, [el("time", { datetime: check.checkedAt, text: when })]),
          el("p", { class: "check-outcome", text: headline(check) }),
          check.label ? el("p", { class: "small", text: topLine(check) }) : null,
          alerts.length ? el("ul", { class: "alerts" }, alerts.map(function (a) { return el("li", { text: a }); })) : null,
          check.site ? el("p", { class: "small check-site", text: t("check_site", { site: check.site }) }) : null,
          idLine(check.id),
        ]),
      ]),
      el("div", { class: "field" }, [el("label", { for: selectId, text: t("keep_spot") }), select]),
      nameField,
      el("div", { class: "actions" }, [
        el("a", { class: "button", href: "/history/summary#check=" + encodeURIComponent(check.id),
          "aria-label": t("summary_link_label", { name: when }), text: t("title_summary") }),
        el("button", { type: "button", class: "button danger", "aria-label": t("delete_check_label", { date: when }),
          text: t("delete_check"), onclick: function () { onDeleteOne(check, when); } }),
      ]),
    ]);
  }

  function confirmed(text) {
    var dialog = $("history-confirm");
    return new Promise(function (resolve) {
      if (!dialog || typeof dialog.showModal !== "function") { resolve(window.confirm(text)); return; }
      $("history-confirm-text").textContent = text;
      function done(answer) {
        $("history-confirm-yes").removeEventListener("click", yes);
        $("history-confirm-no").removeEventListener("click", no);
        dialog.removeEventListener("cancel", no);
        if (dialog.open) dialog.close();
        resolve(answer);
      }
      function yes() { done(true); }
      function no() { done(false); }
      $("history-confirm-yes").addEventListener("click", yes);
      $("history-confirm-no").addEventListener("click", no);
      dialog.addEventListener("cancel", no);  // Escape
      dialog.showModal();
      $("history-confirm-no").focus();  // the safe answer first
    });
  }

  // The item (or the list) is gone with the button that had focus: the page's heading takes it.
  function afterDelete(key) { renderHistory({ key: key }, "history-title"); }

  function onDeleteOne(check, when) {
    confirmed(t("confirm_delete_one", { date: when })).then(function (yes) {
      if (!yes) return;
      deleteCheck(check.id).then(function () {
        delete saved[check.id];
        afterDelete("deleted_one");
      }, function () { setStatus("history-status", "keep_failed"); });
    });
  }

  function onDeleteAll(n) {
    confirmed(t("confirm_delete_all", { n: n })).then(function (yes) {
      if (!yes) return;
      deleteAll().then(function () { saved = {}; afterDelete("deleted_all"); },
        function () { setStatus("history-status", "keep_failed"); });
    });
  }

  // ---------------------------------------------------------------- the summary for a doctor

  function renderSummary() {
    var body = $("summary-body");
    if (!body) return;
    var asked = new URLSearchParams(window.location.hash.slice(1));
    var spotId = asked.get("spot");
    var checkId = asked.get("check");
    loadAll().then(function (all) {
      body.textContent = "";
      var spot = spotId ? all.spots.filter(function (s) { return s.id === spotId; })[0] : null;
      var checks = all.checks.filter(function (c) { return spot ? c.spotId === spot.id : c.id === checkId; }).reverse();
      if (!checks.length) { setStatus("summary-status", "summary_missing"); return; }
      setStatus("summary-status", null);
      var sites = unique(checks.map(function (c) { return c.site; }));
      body.appendChild(el("p", { class: "summary-subject", id: "summary-subject",
        text: spot ? t("summary_for_spot", { name: spot.name }) : t("summary_for_check") }));
      if (sites.length) body.appendChild(el("p", { id: "summary-sites", text: t("summary_sites", { sites: sites.join(", ") }) }));
      body.appendChild(summaryList(checks));
      $("summary-made").textContent = t("summary_made", { date: formatDate(new Date().toISOString(), true) });
    }, function () { setStatus("summary-status", "history_unavailable"); });
  }

  // One entry per check, oldest first: a list of term/value pairs reads well on a phone, aloud and on paper.
  function summaryList(checks) {
    return el("ol", { class: "summary-list", id: "summary-list" }, checks.map(function (c) {
      var probs = c.probabilities || {};
      var classes = CLASS_ORDER.filter(function (k) { return k in probs; })
        .concat(Object.keys(probs).filter(function (k) { return CLASS_ORDER.indexOf(k) < 0; }));
      function pair(key, values) {
        return [el("dt", { text: t(key) }), el("dd", {}, values)];
      }
      var rows = [].concat(
        pair("summary_col_date", [el("time", { datetime: c.checkedAt, text: formatDate(c.checkedAt, true) })]),
        c.site ? pair("summary_col_site", [c.site]) : [],
        pair("summary_col_outcome", [el("strong", { text: headline(c) })].concat(alertsOf(c).map(function (a) {
          return el("span", { class: "alert-line", text: a });
        }))),
        classes.length ? pair("summary_col_estimates", [el("ul", { class: "estimates" }, classes.map(function (k) {
          return el("li", { text: className(k) + " " + aboutPct(probs[k]) });
        }))].concat(c.model ? [el("span", { class: "small", text: t("model_line", c.model) })] : [])) : [],
        pair("summary_col_id", [el("span", { class: "sid", translate: "no", text: c.id })])
      );
      return el("li", { class: "summary-entry", "data-check-id": c.id }, [thumbImg(c, 96), el("dl", {}, rows)]);
    }));
  }

  // ---------------------------------------------------------------- wiring

  document.addEventListener("melanoscan:result", onResult);

  function start() {
    if ($("history")) renderHistory(null, null);
    if ($("summary-body")) {
      renderSummary();
      window.addEventListener("hashchange", renderSummary);
      $("summary-print").addEventListener("click", function () { window.print(); });
    }
    // app.js switches the language in place: draw these pages again in the new one.
    new MutationObserver(function () {
      if ($("history")) renderHistory(null, null);
      if ($("summary-body")) renderSummary();
    }).observe(document.documentElement, { attributes: true, attributeFilter: ["lang"] });
    // Back to a page kept whole by the browser (back/forward cache): another page may have saved or deleted.
    window.addEventListener("pageshow", function (event) {
      if (!event.persisted) return;
      if ($("keep-form") && shown) { var id = shown.id; loadSaved().then(function (ok) { if (shown && shown.id === id) settlePanel(ok); }); }
      if ($("history")) renderHistory(null, null);
      if ($("summary-body")) renderSummary();
    });
    document.documentElement.dataset.historyReady = "1";
  }

  // After every deferred script (app.js sets the language and its hooks first), or now if that is past.
  if (document.readyState === "complete") start();
  else document.addEventListener("DOMContentLoaded", start);
})();
