/*
 * "Show where it looked": paints the answer's heat map (body.heatmap from POST /api/v1/screenings?explain=1:
 * a 0..1 grid over the crop of the photo the model saw, in fractions of the photo) over the page's own preview.
 * The photo never leaves the page for this; nothing is stored. Self-contained: one global, one call.
 *
 *   MelanoscanWhere.show(body.heatmap, lang)   // after the result card is drawn; null hides the toggle
 */
(function () {
  "use strict";
  var TEXT = {
    en: { show: "Show where the model looked", hide: "Hide where the model looked",
          note: "Warmer colours: the parts of the photo that weighed most for this answer. It is not a diagnosis." },
    ko: { show: "모델이 본 곳 보기", hide: "모델이 본 곳 숨기기",
          note: "따뜻한 색일수록 이 결과에 크게 작용한 부분입니다. 진단이 아닙니다." },
  };

  function colour(v) {  // 0..1 -> transparent blue .. opaque red (a simple "jet"-like ramp)
    var r = Math.round(255 * Math.min(1, Math.max(0, 1.5 - Math.abs(4 * v - 3))));
    var g = Math.round(255 * Math.min(1, Math.max(0, 1.5 - Math.abs(4 * v - 2))));
    var b = Math.round(255 * Math.min(1, Math.max(0, 1.5 - Math.abs(4 * v - 1))));
    return "rgba(" + r + "," + g + "," + b + "," + (0.15 + 0.45 * v).toFixed(3) + ")";
  }

  // Where the image's pixels are drawn inside its box (object-fit: contain or cover, or plain).
  function drawnBox(img) {
    var w = img.clientWidth, h = img.clientHeight, nw = img.naturalWidth || w, nh = img.naturalHeight || h;
    var fit = window.getComputedStyle(img).objectFit;
    if (fit !== "contain" && fit !== "cover") return { x: 0, y: 0, w: w, h: h };
    var s = fit === "contain" ? Math.min(w / nw, h / nh) : Math.max(w / nw, h / nh);
    return { x: (w - nw * s) / 2, y: (h - nh * s) / 2, w: nw * s, h: nh * s };
  }

  function paint(canvas, img, heat) {
    var box = drawnBox(img);
    var ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(img.clientWidth * ratio);
    canvas.height = Math.round(img.clientHeight * ratio);
    canvas.style.left = img.offsetLeft + img.clientLeft + "px";  // inside the image's border, over its pixels
    canvas.style.top = img.offsetTop + img.clientTop + "px";
    canvas.style.width = img.clientWidth + "px";
    canvas.style.height = img.clientHeight + "px";
    var ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, img.clientWidth, img.clientHeight);
    var rows = heat.grid.length, cols = heat.grid[0].length;
    // A small canvas of the grid, scaled up with smoothing: a soft map, not hard squares.
    var small = document.createElement("canvas");
    small.width = cols; small.height = rows;
    var sctx = small.getContext("2d");
    for (var y = 0; y < rows; y++) for (var x = 0; x < cols; x++) {
      sctx.fillStyle = colour(heat.grid[y][x]);
      sctx.fillRect(x, y, 1, 1);
    }
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(small, box.x + heat.crop.left * box.w, box.y + heat.crop.top * box.h,
      heat.crop.width * box.w, heat.crop.height * box.h);
  }

  function show(heat, lang) {
    var img = document.getElementById("preview-img");
    var figure = document.getElementById("preview");
    var old = document.getElementById("where-toggle");
    if (old) old.remove();
    var oldCanvas = document.getElementById("where-canvas");
    if (oldCanvas) oldCanvas.remove();
    var oldNote = document.getElementById("where-note");
    if (oldNote) oldNote.remove();
    if (!heat || !heat.grid || !heat.grid.length || !img || !figure) return;
    var text = TEXT[lang] || TEXT.en;
    figure.classList.add("where-host");
    var canvas = document.createElement("canvas");
    canvas.id = "where-canvas";
    canvas.className = "where-canvas";
    canvas.hidden = true;
    canvas.setAttribute("aria-hidden", "true");
    img.insertAdjacentElement("afterend", canvas);
    var note = document.createElement("p");
    note.id = "where-note";
    note.className = "where-note";
    note.hidden = true;
    note.textContent = text.note;
    var button = document.createElement("button");
    button.type = "button";
    button.id = "where-toggle";
    button.className = "button where-toggle";
    button.setAttribute("aria-pressed", "false");
    button.setAttribute("aria-controls", "where-canvas");
    button.textContent = text.show;
    button.addEventListener("click", function () {
      var on = canvas.hidden;
      canvas.hidden = !on;
      note.hidden = !on;
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.textContent = on ? text.hide : text.show;
      if (on) paint(canvas, img, heat);
    });
    window.addEventListener("resize", function () { if (!canvas.hidden) paint(canvas, img, heat); });
    figure.appendChild(button);
    figure.appendChild(note);
  }

  window.MelanoscanWhere = { show: show };
})();
