/* melanoscan hospital finder: a place (geolocation, a city or a tap on the map) -> GET /api/v1/hospitals ->
 * a list that says which hospitals are likeliest to have a dermatologist, with call and directions links
 * (Kakao Map, Naver Map, OpenStreetMap), and Leaflet markers.
 *
 * Leaflet (about 40 KB compressed) is fetched only when a map is first shown: most visits never need one.
 * Outside Korea the API lists nothing and says so (coverage.covered = false): the finder says the same.
 * app.js drives it through one global: MelanoscanFinder.show() / hide() / focus() / applyLang().
 */
(function () {
  "use strict";

  var cfg = JSON.parse(document.getElementById("melanoscan-config").textContent);
  var STRINGS = cfg.strings;
  var FAR_KM = 50;          // farther than this is a journey, not an errand: say so before someone sets off
  var MARKER_PX = 44;       // a marker is a finger-sized target; its visible dot is smaller
  var SPREAD_GAP_PX = 46;   // markers closer than this on screen are spread around their common centre

  var state = {
    map: null,
    layer: null,
    markers: [],
    leaflet: null,        // the promise of Leaflet being loaded
    tileErrors: 0,
    tileLoads: 0,
    search: null,         // {lat, lon, source} last asked for: what a retry repeats, what an answer must match
    origin: null,         // the same for the list on show
    hospitals: null,
    outside: false,       // the last answer was "outside Korea"
    failed: false,
  };

  function $(id) { return document.getElementById(id); }

  function lang() { return document.documentElement.lang === "en" ? "en" : "ko"; }

  function t(key, vars) {
    var s = (STRINGS[lang()] && STRINGS[lang()][key]) || STRINGS.en[key] || key;
    if (vars) Object.keys(vars).forEach(function (k) { s = s.split("{" + k + "}").join(String(vars[k])); });
    return s;
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "class") node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }

  // ---------------------------------------------------------------- Leaflet, on demand

  function loadLeaflet() {
    if (state.leaflet) return state.leaflet;
    state.leaflet = new Promise(function (resolve) {
      if (typeof L !== "undefined") { resolve(); return; }
      var css = el("link", { rel: "stylesheet", href: cfg.leaflet.css });
      document.head.insertBefore(css, document.head.querySelector("link[rel=stylesheet]"));
      var script = el("script", { src: cfg.leaflet.js });
      script.onload = function () { resolve(); };
      script.onerror = function () { resolve(); };  // no map: the list still works
      document.head.appendChild(script);
    });
    return state.leaflet;
  }

  function ensureMap() {
    if (state.map) { state.map.invalidateSize(); return; }
    if (typeof L === "undefined") return;
    var seoul = cfg.cities[0];
    state.map = L.map("map", { scrollWheelZoom: false, tap: true }).setView([seoul.lat, seoul.lon], 11);
    var tiles = L.tileLayer(cfg.tileUrl, { attribution: cfg.tileAttribution, maxZoom: 19, crossOrigin: true });
    tiles.on("tileerror", function () { state.tileErrors += 1; updateMapNotes(); });
    tiles.on("tileload", function () { state.tileLoads += 1; updateMapNotes(); });
    tiles.addTo(state.map);
    state.layer = L.layerGroup().addTo(state.map);
    state.map.on("click", function (e) { search(e.latlng.lat, e.latlng.lng, "map"); });
    state.map.on("zoomend", spreadMarkers);
    document.documentElement.dataset.mapReady = "1";
  }

  function withMap(then) {
    loadLeaflet().then(function () { ensureMap(); if (state.map && then) then(); });
  }

  // The tiles note says "markers and the list still work": only true while the list has not failed.
  // The hint to tap the map only makes sense once some of the map can be seen (the tap works regardless).
  function updateMapNotes() {
    var note = $("tiles-note");
    if (note) note.hidden = !(state.tileErrors && !state.tileLoads && !state.failed);
    var hint = $("tap-hint");
    if (hint) hint.hidden = !state.tileLoads;
  }

  // ---------------------------------------------------------------- showing the finder

  function show() {
    var finder = $("finder");
    if (!finder) return;
    finder.hidden = false;
    withMap(null);
  }

  function hide() { var finder = $("finder"); if (finder) finder.hidden = true; }

  function focus() {
    show();
    $("finder-title").focus({ preventScroll: true });
    $("finder").scrollIntoView({ behavior: "smooth", block: "start" });
  }

  function setStatus(text) { var s = $("finder-status"); if (s) s.textContent = text; }

  // The select shows a city only while the list is that city's: otherwise it goes back to its placeholder,
  // so picking the same city again is a change (a select fires no event for the value it already has).
  function showCity(source) {
    var select = $("city-select");
    if (select) select.value = source.indexOf("city:") === 0 ? source.slice(5) : "";
  }

  function setRetry(visible) { var b = $("finder-retry"); if (b) b.hidden = !visible; }

  function locate() {
    show();
    if (!navigator.geolocation) { setStatus(t("location_unsupported")); return; }
    setStatus(t("locating"));
    var answered = false;
    // A permission prompt left unanswered never calls back: point to the other ways after a while.
    var hint = setTimeout(function () { if (!answered) setStatus(t("location_denied")); }, 12000);
    navigator.geolocation.getCurrentPosition(function (pos) {
      answered = true;
      clearTimeout(hint);
      search(pos.coords.latitude, pos.coords.longitude, "you");
    }, function () {
      answered = true;
      clearTimeout(hint);
      setStatus(t("location_denied"));
      $("city-select").focus();
    }, { enableHighAccuracy: false, timeout: 15000, maximumAge: 300000 });
  }

  function onCity(event) {
    var city = cfg.cities.filter(function (c) { return c.id === event.target.value; })[0];
    if (city) search(city.lat, city.lon, "city:" + city.id);
  }

  function search(lat, lon, source) {
    show();
    var asked = { lat: lat, lon: lon, source: source };
    state.search = asked;
    showCity(source);
    setRetry(false);
    setStatus(t("searching"));
    var url = cfg.api.hospitals + "?lat=" + lat.toFixed(6) + "&lon=" + lon.toFixed(6) +
      "&limit=" + cfg.hospitalLimit + "&dermatology=true&order=dermatologist&lang=" + lang();
    fetch(url, { headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
      .then(function (body) {
        if (state.search !== asked) return;  // a newer search was started meanwhile
        state.origin = asked;
        state.failed = false;
        state.outside = !!(body.coverage && body.coverage.covered === false);
        state.hospitals = state.outside ? [] : (body.hospitals || []);
        render(true);
        updateMapNotes();
      }, function () {
        if (state.search === asked) onFailed();
      });
  }

  // The list of another place must not stay under "could not load": clear it and offer the same search again.
  function onFailed() {
    state.failed = true;
    state.hospitals = null;
    state.outside = false;
    $("hospital-list").textContent = "";
    showNotes(null);
    clearMarkers();
    showCity("");
    setStatus(t("hospitals_error"));
    setRetry(true);
    updateMapNotes();
  }

  function retry() { var s = state.search; if (s) search(s.lat, s.lon, s.source); }

  function placeName(source) {
    if (source === "you") return t("place_you");
    if (source === "map") return t("place_map");
    var id = source.split(":")[1];
    var city = cfg.cities.filter(function (c) { return c.id === id; })[0];
    return city ? city[lang()] : t("place_map");
  }

  // ---------------------------------------------------------------- links out

  function telHref(phone) {
    var digits = (phone || "").replace(/[^0-9+]/g, "");
    return digits.length >= 7 ? "tel:" + digits : null;
  }

  function fixed(x) { return x.toFixed(6).replace(/\.?0+$/, ""); }

  // Kakao Map's public link: directions to a named point (from where the phone is).
  function kakaoHref(h) {
    return "https://map.kakao.com/link/to/" + encodeURIComponent(h.name) + "," + fixed(h.lat) + "," + fixed(h.lon);
  }

  // Naver Map's web directions: "-" for the start (the phone's own position), then lon,lat,name of the goal.
  function naverHref(h) {
    return "https://map.naver.com/p/directions/-/" + fixed(h.lon) + "," + fixed(h.lat) + "," +
      encodeURIComponent(h.name) + ",,/-/transit";
  }

  function osmHref(h) {
    var o = state.origin;
    return "https://www.openstreetmap.org/directions?engine=fossgis_osrm_car&route=" +
      o.lat.toFixed(5) + "%2C" + o.lon.toFixed(5) + "%3B" + h.lat.toFixed(5) + "%2C" + h.lon.toFixed(5);
  }

  function directionsLinks(h) {
    var apps = [["kakao", "map_kakao", kakaoHref(h)], ["naver", "map_naver", naverHref(h)], ["osm", "map_osm", osmHref(h)]];
    return el("div", { class: "h-directions", role: "group", "aria-label": t("directions_to", { name: h.name }) },
      [el("span", { class: "h-dir-label", "aria-hidden": "true", text: t("directions") })].concat(apps.map(function (a) {
        return el("a", {
          class: "button small-btn map-link", "data-map": a[0], href: a[2], target: "_blank", rel: "noopener",
          "aria-label": t("directions_in", { app: t(a[1]), name: h.name }), text: t(a[1]),
        });
      })));
  }

  // ---------------------------------------------------------------- the list

  // When even the nearest is far (an island, the coast), say so before the list rather than in every row;
  // outside Korea, say that the finder covers Korea only instead of listing places a country away.
  function showNotes(list) {
    var note = $("far-note");
    if (note) {
      var allFar = !!(list && list.length && nearestKm(list) > FAR_KM);
      var text = state.outside ? t("korea_only") : allFar ? t("far_all", { km: nearestKm(list).toFixed(0) }) : "";
      note.hidden = !text;
      note.textContent = text;
      note.classList.toggle("outside-note", state.outside);
    }
    var order = $("order-note");
    if (order) order.hidden = !(list && list.length > 1);
  }

  function nearestKm(list) {
    return Math.min.apply(null, list.map(function (h) { return h.distance_km; }));
  }

  function foundText(n, source) {
    if (state.outside) return t("korea_only_short");
    if (!n) return t("no_results");
    return t(n === 1 ? "found_1" : "found_n", { n: n, place: placeName(source) });
  }

  function render(fit) {
    var list = state.hospitals || [];
    var ol = $("hospital-list");
    ol.textContent = "";
    setStatus(foundText(list.length, state.origin.source));
    showNotes(list);
    list.forEach(function (h, i) {
      var tel = telHref(h.phone);
      var callText = t("call") + " " + h.phone;
      ol.appendChild(el("li", { "data-distance": String(h.distance_km), "data-kind": h.kind }, [
        el("div", { class: "h-head" }, [
          el("span", { class: "h-num", "aria-hidden": "true", text: String(i + 1) }),
          el("div", { class: "h-body" }, [
            // Names and addresses are Korean whatever the page's language: a screen reader must say them so.
            el("h3", { class: "h-name", lang: "ko", text: h.name }),
            el("p", { class: "h-meta" }, [
              el("span", { class: "h-dist", text: t("distance", { km: h.distance_km.toFixed(1) }) }),
              " · " + t("kind_" + h.kind),
            ]),
            el("p", { class: "h-meta h-address", lang: "ko", text: h.address }),
            el("p", { class: "h-kind-note", text: t("kind_note_" + h.kind) }),
            h.referral_needed ? el("p", { class: "h-referral", text: t("referral_note") }) : null,
            h.distance_km > FAR_KM ? el("p", { class: "h-far", text: t("far_item") }) : null,
          ]),
        ]),
        el("div", { class: "h-actions" }, [
          // The accessible name starts with the visible text (WCAG 2.5.3 label in name), then says whose number.
          tel ? el("a", { class: "button small-btn", href: tel, "aria-label": t("call_label", { call: callText, name: h.name }),
            text: callText }) : null,
          directionsLinks(h),
        ]),
      ]));
    });
    withMap(function () { drawMarkers(list, fit); });
  }

  // ---------------------------------------------------------------- markers

  function clearMarkers() {
    if (state.layer) state.layer.clearLayers();
    state.markers = [];
    document.documentElement.dataset.markers = "0";
  }

  function drawMarkers(list, fit) {
    var o = state.origin;
    clearMarkers();
    if (state.outside) {  // only the place asked about, so the person sees where that is
      state.layer.addLayer(L.circleMarker([o.lat, o.lon], {
        radius: 9, color: "#fff", weight: 3, fillColor: "#0b5394", fillOpacity: 1, className: "you-marker",
      }));
      state.map.setView([o.lat, o.lon], 5);
      return;
    }
    var you = L.circleMarker([o.lat, o.lon], {
      radius: 9, color: "#fff", weight: 3, fillColor: "#0b5394", fillOpacity: 1, className: "you-marker",
    }).bindTooltip(t("selected_place"));
    state.layer.addLayer(you);
    var bounds = [[o.lat, o.lon]];
    var half = MARKER_PX / 2;
    list.forEach(function (h, i) {
      var marker = L.marker([h.lat, h.lon], {
        icon: L.divIcon({ className: "hmarker", html: "<span>" + (i + 1) + "</span>", iconSize: [MARKER_PX, MARKER_PX], iconAnchor: [half, half] }),
        title: (i + 1) + ". " + h.name,
        alt: h.name,
        keyboard: true,
        // Leaflet stacks markers by latitude; overlapping ones must show the first on top. A step larger
        // than the map's height in pixels keeps the rank order whatever the latitudes.
        zIndexOffset: (list.length - i) * 1000,
      });
      var popup = el("div", {}, [el("strong", { lang: "ko", text: h.name }), el("br"), t("distance", { km: h.distance_km.toFixed(1) })]);
      marker.bindPopup(popup);
      state.layer.addLayer(marker);
      state.markers.push(marker);
      bounds.push([h.lat, h.lon]);
    });
    if (fit) state.map.fitBounds(bounds, { padding: [40, 40], maxZoom: 15 });
    spreadMarkers();
    document.documentElement.dataset.markers = String(list.length);
  }

  // Hospitals in one building (or a few metres apart) would hide each other's numbers and targets: markers
  // closer than SPREAD_GAP_PX on screen are moved onto a ring around their common centre, at this zoom. Groups
  // whose rings would touch are merged until none do, so no marker ends up on another.
  function spreadMarkers() {
    if (!state.map || !state.markers.length) return;
    var points = state.markers.map(function (m) { return state.map.latLngToLayerPoint(m.getLatLng()); });
    var groups = points.map(function (p, i) { return { members: [i] }; });
    function measure(g) {
      var n = g.members.length;
      g.x = 0; g.y = 0;
      g.members.forEach(function (j) { g.x += points[j].x / n; g.y += points[j].y / n; });
      g.r = n > 1 ? (SPREAD_GAP_PX / 2) / Math.sin(Math.PI / n) : 0;
    }
    groups.forEach(measure);
    var merged = true;
    while (merged) {
      merged = false;
      for (var a = 0; a < groups.length && !merged; a++) {
        for (var b = a + 1; b < groups.length && !merged; b++) {
          var ga = groups[a], gb = groups[b];
          if (Math.hypot(ga.x - gb.x, ga.y - gb.y) < ga.r + gb.r + SPREAD_GAP_PX) {
            ga.members = ga.members.concat(gb.members).sort(function (x, y) { return x - y; });
            groups.splice(b, 1);
            measure(ga);
            merged = true;
          }
        }
      }
    }
    groups.forEach(function (g) {
      var n = g.members.length;
      g.members.forEach(function (j, k) {
        var angle = -Math.PI / 2 + (2 * Math.PI * k) / n;  // the first in the list at the top
        var dx = n > 1 ? g.x + g.r * Math.cos(angle) - points[j].x : 0;
        var dy = n > 1 ? g.y + g.r * Math.sin(angle) - points[j].y : 0;
        var icon = state.markers[j].getElement();
        if (!icon) return;
        icon.style.marginLeft = (dx - MARKER_PX / 2) + "px";
        icon.style.marginTop = (dy - MARKER_PX / 2) + "px";
        icon.dataset.spread = n > 1 ? "1" : "0";
      });
    });
  }

  // ---------------------------------------------------------------- language and wiring

  function applyLang() {
    if (state.hospitals) render(false);
    else if (state.failed) setStatus(t("hospitals_error"));
    updateMapNotes();
  }

  function init() {
    var locateBtn = $("locate-btn");
    if (locateBtn) locateBtn.addEventListener("click", locate);
    var city = $("city-select");
    if (city) city.addEventListener("change", onCity);
    var again = $("finder-retry");
    if (again) again.addEventListener("click", retry);
    if (document.body.dataset.page === "hospitals") show();
  }

  window.MelanoscanFinder = { show: show, hide: hide, focus: focus, applyLang: applyLang };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
