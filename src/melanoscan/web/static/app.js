/* melanoscan web client. Plain JavaScript, no build step, no external requests except map tiles.
 *
 * Screen page: take a photo (the live camera with a centring guide where the browser allows, else the phone's
 * camera app) or choose one -> shrunk in the browser as soon as it is picked (photo.js: one decode, at the size
 * sent) -> preview of what will be sent -> POST /api/v1/screenings (XHR for upload progress) -> a card that leads
 * with the advice (see a dermatologist / keep an eye on it / retake) or a friendly error. "See a dermatologist" (and the /hospitals page): the hospital finder of finder.js.
 * About pages: server-rendered in one language; the language switch reloads them in the other.
 * The answer on show stays in sessionStorage (Back, reload); history.js adds "Save on this phone" to its card.
 */
(function () {
  "use strict";

  var cfg = JSON.parse(document.getElementById("melanoscan-config").textContent);
  var STRINGS = cfg.strings;
  var LANG_KEY = "melanoscan.lang";
  var PHOTO = window.MelanoscanPhoto || null;  // photo.js, on the screen page
  var JPEG_QUALITY = PHOTO ? PHOTO.JPEG_QUALITY : 0.9;
  var UPLOAD_TIMEOUT_MS = 90000;
  var FORM_OVERHEAD_BYTES = 1024; // multipart headers around the photo: the server's limit counts the whole body
  var CLASSES = ["melanoma", "nevus", "seborrheic_keratosis"];
  var LAST_RESULT_KEY = "melanoscan.lastResult";  // sessionStorage: the answer on show survives Back and reload

  var state = {
    lang: initialLang(),
    file: null,         // the photo in the preview: only its answer may be shown
    prepared: null,     // Promise<{file, redrawn}> of state.file: what is previewed, sent and thumbnailed
    sentFile: null,     // what was sent for it (history.js draws its thumbnail from it)
    xhr: null,          // the upload in flight, aborted when another photo is picked
    previewUrl: null,
    result: null,       // last API response body (status 200)
    resultAt: null,     // when it came (ISO 8601): the date of the check
    error: null,        // last error key
    busy: false,
  };

  // ---------------------------------------------------------------- language

  // An explicit ?lang= (a shared link; the server already answered in it) first, then the stored choice,
  // then the browser's languages.
  function initialLang() {
    var asked = langInAddress();
    if (asked) { rememberLang(asked); return asked; }
    var stored = null;
    try { stored = window.localStorage.getItem(LANG_KEY); } catch (e) { /* private mode */ }
    if (stored === "ko" || stored === "en") return stored;
    var nav = (navigator.languages && navigator.languages[0]) || navigator.language || "ko";
    return /^ko\b/i.test(nav) ? "ko" : "en";
  }

  function langInAddress() {
    var lang = new URLSearchParams(window.location.search).get("lang");
    return lang === "ko" || lang === "en" ? lang : null;
  }

  function rememberLang(lang) {
    try { window.localStorage.setItem(LANG_KEY, lang); } catch (e) { /* private mode */ }
    saveLangCookie(lang);
  }

  // The server's first guess on the next page, so it does not flash in the other language.
  function saveLangCookie(lang) {
    try { document.cookie = "melanoscan_lang=" + lang + "; path=/; max-age=31536000; SameSite=Lax"; } catch (e) { /* */ }
  }

  // A reload of an address with ?lang= must keep the language just switched to, not the link's.
  function updateAddressLang(lang) {
    if (!langInAddress() || !window.history.replaceState) return;
    var params = new URLSearchParams(window.location.search);
    params.set("lang", lang);
    window.history.replaceState(window.history.state, "", window.location.pathname + "?" + params + window.location.hash);
  }

  function t(key, vars) {
    var s = (STRINGS[state.lang] && STRINGS[state.lang][key]) || STRINGS.en[key] || key;
    if (vars) {
      Object.keys(vars).forEach(function (k) { s = s.split("{" + k + "}").join(String(vars[k])); });
    }
    return s;
  }

  function applyLang() {
    document.documentElement.lang = state.lang;
    document.querySelectorAll("[data-i18n]").forEach(function (el) { el.textContent = t(el.dataset.i18n); });
    document.querySelectorAll("[data-i18n-aria-label]").forEach(function (el) {
      el.setAttribute("aria-label", t(el.dataset.i18nAriaLabel));
    });
    document.querySelectorAll("[data-i18n-alt]").forEach(function (el) { el.alt = t(el.dataset.i18nAlt); });
    var toggle = document.getElementById("lang-toggle");
    if (toggle) toggle.lang = state.lang === "ko" ? "en" : "ko";
    var title = document.querySelector("title[data-i18n]");
    if (title) document.title = t(title.dataset.i18n) + " · melanoscan";
    document.querySelectorAll("#city-select option[data-" + state.lang + "]").forEach(function (opt) {
      opt.textContent = opt.dataset[state.lang];
    });
    saveLangCookie(state.lang);
    if (state.result) renderResult(state.result, false);
    else if (state.error) renderError(state.error, false);
    if (finder()) finder().applyLang();
    updateProgressText();
  }

  function setLang(lang) {
    state.lang = lang;
    rememberLang(lang);
    if (document.body.dataset.page === "about") {  // server-rendered reading: fetch it in the other language
      var params = new URLSearchParams(window.location.search);
      params.set("lang", lang);
      window.location.replace(window.location.pathname + "?" + params);
      return;
    }
    updateAddressLang(lang);
    applyLang();
  }

  // ---------------------------------------------------------------- helpers

  function $(id) { return document.getElementById(id); }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "class") node.className = attrs[k];
      else if (k.indexOf("on") === 0) node.addEventListener(k.slice(2), attrs[k]);
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }

  // Whole percent, never certain: the estimates are not precise to a decimal, and 0.998 is not 100%.
  // The same rounding as the API's messages (api/results.py percent()).
  function formatPct(p) {
    var v = p * 100;
    if (v >= 99.5) return ">99%";
    if (v < 0.5) return "<1%";
    return Math.round(v) + "%";
  }

  // "about 55%", but ">99%" and "<1%" as they are: they already say they are not exact.
  function aboutPct(p) {
    var shown = formatPct(p);
    return /^[<>]/.test(shown) ? shown : t("about_pct", { pct: shown });
  }

  // The same for screen readers, in words: not every screen reader reads "<" and ">" out.
  function spokenPct(p) {
    var shown = formatPct(p);
    if (shown.charAt(0) === ">") return t("pct_over", { pct: shown.slice(1) });
    if (shown.charAt(0) === "<") return t("pct_under", { pct: shown.slice(1) });
    return t("about_pct", { pct: shown });
  }

  // ---------------------------------------------------------------- photo -> preview

  var progressPhase = null;  // {key, pct}

  function setProgress(key, value) {
    progressPhase = key ? { key: key, pct: value } : null;
    var box = $("progress");
    if (!box) return;
    box.hidden = !key;
    box.classList.toggle("indeterminate", key === "analyzing" || key === "preparing");
    $("progress-fill").style.width = key === "uploading" ? value + "%" : "";
    updateProgressText();
  }

  // The phase is in a live region, the percent beside it is not: a screen reader would read every step.
  function updateProgressText() {
    var text = $("progress-text");
    if (!text) return;
    var phase = progressPhase ? t(progressPhase.key) : "";
    if (text.textContent !== phase) text.textContent = phase;  // the same phase again is not news
    $("progress-pct").textContent = progressPhase && progressPhase.key === "uploading" ? (progressPhase.pct || 0) + "%" : "";
  }

  function onFileChosen(event) {
    var file = event.target.files && event.target.files[0];
    event.target.value = "";  // choosing the same file again must fire change again
    if (!file) return;  // picker cancelled: the previous photo and its result stay
    closeCamera();
    usePhoto(file);
  }

  // A photo from the picker, the phone's camera app or the live camera: one path from here to the upload.
  // Its shrinking starts now, not at "Check": the person looks at the preview meanwhile, and the preview is the
  // shrunk picture itself (one decode of a 12-MP photo instead of two, and exactly what the heat map lies over).
  function usePhoto(file) {
    abandonUpload();
    var guide = $("guide");
    if (guide) guide.hidden = true;  // before the photo only: from here the preview and its answer matter
    state.file = file;
    state.prepared = prepare(file);
    state.sentFile = null;
    state.result = null;
    state.error = null;
    forgetLastResult();
    $("result").textContent = "";
    showScreenNote(true);
    hideFinderForScreen();
    var img = $("preview-img");
    var caption = $("preview-caption");
    caption.textContent = "";
    delete caption.dataset.i18n;
    img.hidden = true;
    img.removeAttribute("src");
    $("preview").hidden = false;
    state.prepared.then(function (prepared) { if (state.file === file) showPreview(prepared.file); });
    var send = $("send-btn");
    send.hidden = false;
    send.disabled = false;
    send.focus();
  }

  /** What will be sent (photo.js); the photo as it is where photo.js is missing. Never rejects. */
  function prepare(file) {
    var asIs = { file: file, redrawn: false };
    return PHOTO ? PHOTO.prepare(file).then(null, function () { return asIs; }) : Promise.resolve(asIs);
  }

  function showPreview(file) {
    if (state.previewUrl) URL.revokeObjectURL(state.previewUrl);
    state.previewUrl = URL.createObjectURL(file);
    var img = $("preview-img");
    var caption = $("preview-caption");
    img.hidden = false;
    // Not decodable here (HEIC in most browsers, or not an image): the server decides, so promise nothing.
    img.onerror = function () {
      img.hidden = true;
      caption.dataset.i18n = "preview_unavailable";  // follows a language switch
      caption.textContent = t("preview_unavailable");
    };
    img.src = state.previewUrl;
  }

  function send() {
    if (!state.file || state.busy) return;
    var photo = state.file;
    state.busy = true;
    state.error = null;
    $("send-btn").disabled = true;
    $("result").textContent = "";
    setProgress("preparing");
    state.prepared.then(function (prepared) {
      var file = prepared.file;
      if (state.file !== photo) return;  // another photo was picked while this one was being prepared
      state.sentFile = file;
      if (cfg.maxUploadBytes && file.size + FORM_OVERHEAD_BYTES > cfg.maxUploadBytes) {
        finish();  // the server would refuse it: say so without making the person wait for the upload
        renderError("err_413", true);
        return;
      }
      upload(file);
    });
  }

  function upload(file) {
    var form = new FormData();
    form.append("image", file, file.name || "photo.jpg");
    var xhr = new XMLHttpRequest();
    state.xhr = xhr;
    // Every handler first checks that this is still the upload of the photo in the preview.
    function current() { return state.xhr === xhr; }
    xhr.open("POST", cfg.api.screenings + "?explain=1&lang=" + encodeURIComponent(state.lang));
    xhr.timeout = UPLOAD_TIMEOUT_MS;
    xhr.setRequestHeader("Accept", "application/json");
    setProgress("uploading", 0);
    xhr.upload.onprogress = function (e) {
      if (current() && e.lengthComputable) setProgress("uploading", Math.round((e.loaded / e.total) * 100));
    };
    xhr.upload.onload = function () { if (current()) setProgress("analyzing"); };
    xhr.onload = function () {
      if (!current()) return;
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
      finish();
      if (xhr.status === 200 && body && body.status) {
        state.result = body;
        state.resultAt = new Date().toISOString();
        keepLastResult();
        renderResult(body, true);
        if (window.MelanoscanWhere) window.MelanoscanWhere.show(body.heatmap, state.lang);
      } else {
        renderError(errorKey(xhr.status, body), true);
      }
    };
    xhr.onerror = function () { if (current()) { finish(); renderError("err_network", true); } };
    xhr.ontimeout = function () { if (current()) { finish(); renderError("err_timeout", true); } };
    xhr.send(form);
  }

  // A new photo: the upload of the old one is stopped and forgotten, its answer must never show under the new one.
  function abandonUpload() {
    var xhr = state.xhr;
    state.xhr = null;  // first, so the handlers see it is no longer current
    if (xhr) xhr.abort();
    if (state.busy) { state.busy = false; setProgress(null); }
  }

  function finish() {
    state.xhr = null;
    state.busy = false;
    setProgress(null);
    var sendBtn = $("send-btn");
    if (sendBtn) { sendBtn.disabled = false; sendBtn.hidden = true; }  // the card offers the next step
  }

  function errorKey(status, body) {
    var known = { 400: "err_400", 413: "err_413", 415: "err_415", 422: "err_422", 429: "err_429" };
    if (known[status]) return known[status];
    if (status === 0) return "err_network";
    if (body && body.error && body.error.code === "payload_too_large") return "err_413";
    return "err_500";
  }

  // ---------------------------------------------------------------- result card
  //
  // The card leads with one action (the advice), then why, then its one primary button; the class and the
  // model's rounded estimates sit below in a <details>. To add to it:
  //  - a new retake reason: a "retake_<reason>" string in i18n.json (ko and en); unknown reasons read "retake_other";
  //  - something shown between the advice and the details (the "where the model looked" toggle): push a
  //    builder onto CARD_EXTRAS, function (body, advice) -> a node or null.

  var ADVICES = ["see_dermatologist", "monitor", "retake"];
  var MONITOR_LABELS = ["nevus", "seborrheic_keratosis"];  // the classes a "keep an eye on it" card can name
  var ABOUT = cfg.about || {};                             // class or topic -> its "about" page
  var CARD_EXTRAS = [];

  // The one next step. The server says it in `advice`; for a server that does not yet, the same rule from the
  // fields it sends. (Delete everything after the first line once every server answers with `advice`.)
  function adviceOf(body) {
    if (ADVICES.indexOf(body.advice) >= 0) return body.advice;
    if (body.label === "melanoma" || body.melanoma_alert || body.carcinoma_alert) return "see_dermatologist";
    if (body.status === "retake") return "retake";
    return MONITOR_LABELS.indexOf(body.label) >= 0 ? "monitor" : "see_dermatologist";  // a class we cannot name: careful
  }

  function className(label) {
    var key = "class_" + label;
    var name = t(key);
    return name === key ? String(label).replace(/_/g, " ") : name;  // a class a newer model knows and we do not
  }

  function focusCard(card) {
    var heading = card.querySelector("h2");
    if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus({ preventScroll: true }); }
    card.scrollIntoView({ behavior: "smooth", block: "start" });
  }

  // Only opens the camera or the picker: result, preview and finder stay until a photo actually arrives
  // (usePhoto), so cancelling loses nothing, and focus stays on the button that was pressed.
  function pickAgain(openCamera) {
    $(openCamera ? "camera-input" : "file-input").click();
  }

  // The result card carries the disclaimer: the page's own copy would make it three with the footer.
  function showScreenNote(show) {
    var note = $("screen-note");
    if (note) note.hidden = !show;
  }

  function button(id, text, primary, onclick) {
    return el("button", { type: "button", class: "button" + (primary ? " primary" : ""), id: id, text: text, onclick: onclick });
  }

  function reasonsToSeeADoctor(body) {
    var p = (body.probabilities || {}).melanoma;
    var why = [];
    if (body.label === "melanoma") why.push(t("why_melanoma", { pct: aboutPct(body.probability || p || 0) }));
    else if (body.melanoma_alert) why.push(t("why_melanoma_alert", { pct: aboutPct(p || 0) }));
    if (body.carcinoma_alert) why.push(t("why_carcinoma_alert"));
    if (body.status === "retake") why.push(t("why_unclear_photo"));
    return why;
  }

  var BUILD = {
    see_dermatologist: function (body) {
      var why = reasonsToSeeADoctor(body);
      return [
        why.length ? el("ul", { class: "reasons", id: "see-why" }, why.map(function (s) { return el("li", { text: s }); })) : null,
        el("p", { class: "when", id: "see-when", text: t("advice_see_when") }),
        el("div", { class: "actions" }, [
          button("goto-finder", t("find_hospitals"), true, function () { focusFinder(); }),
          button("check-another", t("check_another"), false, function () { pickAgain(true); }),
        ]),
      ];
    },
    monitor: function (body) {
      return [
        el("p", { class: "when", id: "monitor-recheck", text: t("monitor_recheck") }),
        el("h3", { text: t("monitor_doctor_heading") }),
        el("ul", { class: "signs", id: "monitor-signs" }, ["sign_abcde", "sign_bleed", "sign_new_" + body.label, "sign_worry"]
          .map(function (k) { return el("li", { text: t(k) }); })),
        el("div", { class: "actions" }, [button("check-another", t("check_another"), true, function () { pickAgain(true); })]),
      ];
    },
    retake: function (body) {
      var key = "retake_" + body.retake_reason;
      return [
        el("p", { id: "retake-why", text: t(STRINGS.en[key] ? key : "retake_other") }),
        el("h3", { text: t("tips_heading") }),
        el("ul", { class: "tips" }, ["tip_light", "tip_close", "tip_focus", "tip_one"].map(function (k) {
          return el("li", { text: t(k) });
        })),
        el("div", { class: "actions" }, [
          button("take-again", t("take_again"), true, function () { pickAgain(true); }),
          button("choose-again", t("choose_photo"), false, function () { pickAgain(false); }),
        ]),
      ];
    },
  };

  function headline(advice, body) {
    if (advice === "monitor") return t("advice_monitor_title_" + body.label);
    return t(advice === "retake" ? "advice_retake_title" : "advice_see_title");
  }

  // The pages to read next: what the answer named, and the ABCDE self-check for anyone keeping an eye on a mole.
  function learnMore(body, advice) {
    var topics = [];
    if (advice === "see_dermatologist" && (body.label === "melanoma" || body.melanoma_alert)) topics.push("melanoma");
    if (body.carcinoma_alert) topics.push("other_skin_cancers");
    if (advice === "monitor") topics.push(body.label, "melanoma");
    topics = topics.filter(function (k, i) { return ABOUT[k] && topics.indexOf(k) === i; });
    if (!topics.length) return null;
    return el("nav", { class: "learn-more", "aria-label": t("learn_more") }, [
      el("h3", { text: t("learn_more") }),
      el("ul", {}, topics.map(function (k) {
        return el("li", {}, [el("a", { class: "topic-link", href: ABOUT[k] + "?lang=" + state.lang, text: t("title_about_" + k) })]);
      })),
    ]);
  }

  // The class and every estimate, rounded to whole percent, largest first; none for a photo sent back unjudged.
  function details(body, advice) {
    var probs = body.probabilities || {};
    var classes = Object.keys(probs).sort(function (a, b) { return probs[b] - probs[a]; });
    if (advice === "retake" || !classes.length) return null;
    var p = typeof body.probability === "number" ? body.probability : probs[body.label] || 0;
    return el("details", { class: "all", id: "result-details" }, [
      el("summary", { text: t("details_summary") }),
      body.label ? el("p", { class: "top", id: "result-top",
        text: t("details_top", { label: className(body.label), pct: aboutPct(p) }) }) : null,
      el("ul", { class: "all-list" }, classes.map(function (c) {
        var q = probs[c];
        return el("li", { "data-class": c }, [
          el("span", { text: className(c) }),
          el("span", { class: "num", "aria-hidden": "true", text: aboutPct(q) }),
          el("span", { class: "visually-hidden", text: spokenPct(q) }),
          el("div", { class: "bar", "aria-hidden": "true" }, [el("div", { class: "fill", style: "width:" + Math.round(q * 100) + "%" })]),
        ]);
      })),
      el("p", { class: "small", text: t("details_note") }),
      body.model ? el("p", { class: "small", text: t("model_line", { name: body.model.name || "", version: body.model.version || "" }) }) : null,
    ]);
  }

  function renderResult(body, announce) {
    var box = $("result");
    box.textContent = "";
    var advice = adviceOf(body);
    var attrs = { class: "card result-card advice-" + advice, "data-status": body.status, "data-advice": advice };
    if (body.label) attrs["data-label"] = body.label;
    var extras = CARD_EXTRAS.map(function (build) { return build(body, advice); });
    var card = el("div", attrs, [el("h2", { id: "result-headline", text: headline(advice, body) })]
      .concat(BUILD[advice](body), extras, [
        learnMore(body, advice),
        details(body, advice),
        el("p", { class: "disclaimer", text: t("note_screening") }),
        advice === "retake" ? null : el("p", { class: "small limits", id: "model-limits", text: t("model_limits") }),
      ]));
    box.appendChild(card);
    // For history.js ("Save on this phone", the screening id): the card, and the photo while it is in the page.
    // The photo is the one previewed and sent (upright, at most 1024 px where the browser could shrink it).
    document.dispatchEvent(new CustomEvent("melanoscan:result", { detail: {
      body: body, advice: advice, card: card, photo: state.sentFile,
      at: state.resultAt, lang: state.lang,
    } }));
    showScreenNote(false);
    if (advice === "see_dermatologist") showFinder();
    else hideFinderForScreen();
    if (announce) focusCard(card);
  }

  // ---------------------------------------------------------------- the last result, for Back and reload
  //
  // Only the answer (no heat map: the photo it lies over is not kept) stays in this tab's sessionStorage,
  // which the browser drops when the tab is closed. Nothing of it goes to the server.

  function keepLastResult() {
    var body = {};
    Object.keys(state.result).forEach(function (k) { if (k !== "heatmap") body[k] = state.result[k]; });
    try { window.sessionStorage.setItem(LAST_RESULT_KEY, JSON.stringify({ body: body, at: state.resultAt })); } catch (e) { /* */ }
  }

  function forgetLastResult() {
    try { window.sessionStorage.removeItem(LAST_RESULT_KEY); } catch (e) { /* private mode */ }
  }

  function restoreLastResult() {
    if (!$("result")) return;
    var kept = null;
    try { kept = JSON.parse(window.sessionStorage.getItem(LAST_RESULT_KEY) || "null"); } catch (e) { kept = null; }
    if (!kept || !kept.body || !kept.body.status) return;
    state.result = kept.body;
    state.resultAt = kept.at || null;
    var guide = $("guide");
    if (guide) guide.hidden = true;
    renderResult(state.result, false);
  }

  // "Could not send" only when nothing came back; an answer (too large, not a photo, busy, failed) means
  // the photo was sent but could not be checked. Too large before uploading reads the same: not checked.
  function errorTitle(key) {
    return key === "err_network" || key === "err_timeout" ? "error_title" : "error_title_check";
  }

  function renderError(key, announce) {
    state.error = key;
    var box = $("result");
    box.textContent = "";
    var card = el("div", { class: "card result-card error", role: "alert", "data-status": "error", "data-error": key }, [
      el("h2", { text: t(errorTitle(key)) }),
      el("p", { id: "error-message", text: t(key) }),
      el("div", { class: "actions" }, [
        (key === "err_network" || key === "err_timeout" || key === "err_500" || key === "err_429") && state.file
          ? el("button", { type: "button", class: "button primary", text: t("try_again"), onclick: send }) : null,
        el("button", { type: "button", class: "button", text: t("choose_other"), onclick: function () { pickAgain(false); } }),
      ]),
    ]);
    box.appendChild(card);
    showScreenNote(true);  // an error card has no disclaimer of its own
    if (announce) focusCard(card);
  }


  // ---------------------------------------------------------------- live camera
  //
  // Where the browser has a camera (getUserMedia in a secure context), "Take photo" opens it in the page with a
  // centring guide; a frame drawn to a canvas becomes a JPEG File on the same path as a picked photo. Without
  // one, or when it fails, the phone's own camera app / the file picker (the capture input) does the job.

  var camera = { available: false, stream: null, native: false };

  function detectCamera() {
    var media = navigator.mediaDevices;
    if (!window.isSecureContext || !media || !media.getUserMedia || !media.enumerateDevices) return;
    media.enumerateDevices().then(function (devices) {
      camera.available = devices.some(function (d) { return d.kind === "videoinput"; });
    }, function () { camera.available = false; });
  }

  // Every way to the capture input (its label, the keyboard, "Take again") comes through its click.
  function onCameraInputClick(event) {
    if (camera.native || !camera.available) { camera.native = false; return; }
    event.preventDefault();
    openCamera();
  }

  function useCameraApp() {
    closeCamera();
    camera.native = true;  // this one click goes to the input itself
    $("camera-input").click();
  }

  function setCameraStatus(key) {
    var status = $("camera-status");
    status.dataset.i18n = key;  // follows a language switch
    status.textContent = t(key);
  }

  function openCamera() {
    var panel = $("camera");
    if (!panel.hidden) return;
    panel.hidden = false;
    panel.classList.remove("failed");
    var shoot = $("camera-shoot");
    shoot.disabled = true;
    setCameraStatus("camera_starting");
    panel.scrollIntoView({ behavior: "smooth", block: "nearest" });
    var constraints = { audio: false, video: { facingMode: { ideal: "environment" }, width: { ideal: 1920 }, height: { ideal: 1080 } } };
    navigator.mediaDevices.getUserMedia(constraints).then(function (stream) {
      if (panel.hidden) { stopTracks(stream); return null; }  // cancelled while the camera was starting
      camera.stream = stream;
      var video = $("camera-video");
      video.srcObject = stream;
      return video.play().then(function () {
        setCameraStatus("camera_hint");
        shoot.disabled = false;
        shoot.focus({ preventScroll: true });
      });
    }).catch(function () {
      if (panel.hidden) return;
      stopTracks(camera.stream);
      camera.stream = null;
      camera.available = false;  // not offered again on this page: "Take photo" opens the camera app
      panel.classList.add("failed");
      setCameraStatus("camera_failed");
      $("camera-app").focus({ preventScroll: true });
    });
  }

  function stopTracks(stream) {
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
  }

  function closeCamera() {
    var panel = $("camera");
    if (!panel || panel.hidden) return;
    stopTracks(camera.stream);
    camera.stream = null;
    $("camera-video").srcObject = null;
    panel.hidden = true;
  }

  function shoot() {
    var video = $("camera-video");
    var w = video.videoWidth, h = video.videoHeight;
    if (!w || !h) return;
    // What the person saw is what is sent: the view shows the middle of the frame (object-fit: cover), with
    // the guide at its centre, so the same middle is cut from the full frame.
    var box = video.getBoundingClientRect();
    var viewRatio = box.width && box.height ? box.width / box.height : w / h;
    var sw = w, sh = h;
    if (w / h > viewRatio) sw = Math.round(h * viewRatio); else sh = Math.round(w / viewRatio);
    var canvas = document.createElement("canvas");
    canvas.width = sw;
    canvas.height = sh;
    canvas.getContext("2d").drawImage(video, (w - sw) / 2, (h - sh) / 2, sw, sh, 0, 0, sw, sh);
    canvas.toBlob(function (blob) {
      if (!blob) { setCameraStatus("camera_failed"); return; }
      closeCamera();
      usePhoto(new File([blob], "camera.jpg", { type: "image/jpeg" }));
    }, "image/jpeg", JPEG_QUALITY);
  }

  // ---------------------------------------------------------------- hospital finder (finder.js)

  function finder() { return window.MelanoscanFinder || null; }
  function showFinder() { if (finder()) finder().show(); }
  function focusFinder() { if (finder()) finder().focus(); }
  function hideFinderForScreen() { if (finder() && document.body.dataset.page === "screen") finder().hide(); }

  // ---------------------------------------------------------------- wiring

  function init() {
    var toggle = $("lang-toggle");
    if (toggle) toggle.addEventListener("click", function () { setLang(state.lang === "ko" ? "en" : "ko"); });
    ["camera-input", "file-input"].forEach(function (id) { var i = $(id); if (i) i.addEventListener("change", onFileChosen); });
    var sendBtn = $("send-btn");
    if (sendBtn) sendBtn.addEventListener("click", send);
    if ($("camera")) {
      $("camera-input").addEventListener("click", onCameraInputClick);
      $("camera-shoot").addEventListener("click", shoot);
      $("camera-cancel").addEventListener("click", function () { closeCamera(); $("camera-input").focus(); });
      $("camera-app").addEventListener("click", useCameraApp);
      document.addEventListener("visibilitychange", function () { if (document.hidden) closeCamera(); });
      window.addEventListener("pagehide", closeCamera);
      detectCamera();
    }

    function onlineState() { var b = $("offline-banner"); if (b) b.hidden = navigator.onLine !== false; }
    window.addEventListener("online", onlineState);
    window.addEventListener("offline", onlineState);
    onlineState();

    if (state.lang !== cfg.lang || document.documentElement.lang !== state.lang) applyLang();
    else if (toggle) toggle.lang = state.lang === "ko" ? "en" : "ko";

    // Hooks for tests and the console: the formatting's edge cases are ones no real photo reaches.
    window.melanoscan = Object.freeze({ formatPct: formatPct, aboutPct: aboutPct, spokenPct: spokenPct, adviceOf: adviceOf });
    restoreLastResult();

    if ("serviceWorker" in navigator && window.isSecureContext) {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () { /* the app works without it */ });
    }
    document.documentElement.dataset.ready = "1";
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
