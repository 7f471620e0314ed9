/* melanoscan photo preparation: the picked photo decoded once, at the size the upload needs, as soon as it is picked.
 *
 *   MelanoscanPhoto.prepare(file) -> Promise<{file, redrawn}>
 *
 * `file` is what app.js previews, uploads and hands to history.js for its thumbnail: a JPEG redrawn upright at most
 * MAX_SIDE px on its longest side (`redrawn` true), or the photo itself when it is already small (a JPEG or PNG of
 * at most MAX_SIDE px and SHRINK_ABOVE_BYTES), when redrawing would not make it smaller, or when this browser
 * cannot decode it (HEIC on most browsers, or not an image: the server decides).
 *
 * Why: on a slow phone, decoding a 12-MP JPEG was most of the time from pick to result (docs/performance.md).
 * Where the browser has WebCodecs' ImageDecoder, a JPEG is decoded straight at a reduced scale by libjpeg's DCT
 * scaling (desiredWidth/desiredHeight): the full-size picture is never made, which is several times faster and
 * the same scaling the server applies to a large JPEG itself (Pillow's draft; bench/upload_size.py, method dct).
 * Elsewhere the whole picture is decoded (createImageBitmap) and scaled on a canvas, as before.
 *
 * EXIF orientation: both paths draw the picture upright and the redrawn JPEG carries no orientation tag, so the
 * server, the preview, the heat map over it (where.js) and history's thumbnail all see one upright picture.
 * ImageDecoder is used only after a probe shows that this browser draws its frames upright.
 */
(function () {
  "use strict";

  // Longest side sent to the server: the model and the photo checks look at 256 px or less (bench/upload_size.py
  // measures what shrinking to this changes in the answers; docs/performance.md).
  var MAX_SIDE = 1024;
  var JPEG_QUALITY = 0.9;
  var SHRINK_ABOVE_BYTES = 1.5 * 1024 * 1024;
  var HEADER_BYTES = 256 * 1024;  // where a JPEG's size is found: after its EXIF block (64 KB at most) and the like
  // A 2x1 JPEG, black then white, with EXIF orientation 6 (turn 90 degrees clockwise): upright it is 1x2, black on top.
  var ORIENTATION_PROBE = "/9j/4AAQSkZJRgABAQAAAQABAAD/4QAiRXhpZgAATU0AKgAAAAgAAQESAAMAAAABAAYAAAAAAAD/2wBDABALDA4MChAODQ4S" +
    "ERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2Nj" +
    "Y2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2P/wAARCAABAAIDAREAAhEBAxEB/8QAFAABAAAAAAAAAAAAAAAAAAAABv/EABsQ" +
    "AAAHAQAAAAAAAAAAAAAAAAABAwUGNnSy/8QAFAEBAAAAAAAAAAAAAAAAAAAAAP/EABQRAQAAAAAAAAAAAAAAAAAAAAD/2gAMAwEAAhEDEQA/AGEf" +
    "rzZkS4IB/9k=";

  var decoderDrawsUpright = null;  // Promise<boolean>, made once

  function prepare(file) {
    var small = file.size <= SHRINK_ABOVE_BYTES && /^image\/(jpeg|png)$/.test(file.type);
    var asIs = { file: file, redrawn: false };
    var attempt = file.type === "image/jpeg"
      ? Promise.all([jpegSize(file), canDecodeScaled()]).then(function (found) {
        var size = found[0];
        if (small && size && Math.max(size.width, size.height) <= MAX_SIDE) return asIs;
        return found[1] ? viaDecoder(file, size) : viaBitmap(file, small);
      })
      : viaBitmap(file, small);
    return attempt
      .then(null, function () { return viaBitmap(file, small); })
      .then(null, function () { return asIs; });
  }

  // ---------------------------------------------------------------- WebCodecs: decode at a reduced scale

  function canDecodeScaled() {
    if (typeof ImageDecoder !== "function" || typeof VideoFrame !== "function") return Promise.resolve(false);
    if (!decoderDrawsUpright) decoderDrawsUpright = probeOrientation().then(null, function () { return false; });
    return decoderDrawsUpright;
  }

  function probeOrientation() {
    var bytes = Uint8Array.from(window.atob(ORIENTATION_PROBE), function (c) { return c.charCodeAt(0); });
    return ImageDecoder.isTypeSupported("image/jpeg").then(function (supported) {
      if (!supported) return false;
      var decoder = new ImageDecoder({ data: bytes, type: "image/jpeg" });
      return decoder.decode().then(function (result) {
        var frame = result.image;
        var upright = frame.displayWidth === 1 && frame.displayHeight === 2;
        if (upright) {
          var ctx = canvasOf(1, 2).getContext("2d");
          ctx.drawImage(frame, 0, 0);
          var px = ctx.getImageData(0, 0, 1, 2).data;
          upright = px[0] < 100 && px[4] > 155;
        }
        frame.close();
        decoder.close();
        return upright;
      });
    });
  }

  /** The largest DCT scale n/8 whose longest side still fits MAX_SIDE (1/8 at least: a larger photo is then
   *  scaled the rest of the way on the canvas); without the photo's size, what fits MAX_SIDE squared. */
  function desiredSize(size) {
    if (!size) return { width: MAX_SIDE, height: MAX_SIDE };
    var longest = Math.max(size.width, size.height), n = 8;
    while (n > 1 && Math.ceil(longest * n / 8) > MAX_SIDE) n -= 1;
    return { width: Math.ceil(size.width * n / 8), height: Math.ceil(size.height * n / 8) };
  }

  function viaDecoder(file, size) {
    var want = desiredSize(size);
    var decoder = new ImageDecoder({
      data: file.stream(), type: file.type, desiredWidth: want.width, desiredHeight: want.height, preferAnimation: false,
    });
    return decoder.decode().then(function (result) {
      var frame = result.image;
      try {
        return redraw(frame, frame.displayWidth, frame.displayHeight, file);
      } finally {
        frame.close();
        decoder.close();
      }
    }, function (error) { decoder.close(); throw error; });
  }

  // ---------------------------------------------------------------- elsewhere: decode whole, scale on a canvas

  function viaBitmap(file, small) {
    if (typeof createImageBitmap !== "function") return Promise.resolve({ file: file, redrawn: false });
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      try {
        if (small && Math.max(bitmap.width, bitmap.height) <= MAX_SIDE) return { file: file, redrawn: false };
        return redraw(bitmap, bitmap.width, bitmap.height, file);
      } finally {
        if (bitmap.close) bitmap.close();
      }
    });
  }

  // ---------------------------------------------------------------- shared

  function canvasOf(width, height) {
    var canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    return canvas;
  }

  /** Draw an upright picture at most MAX_SIDE px as JPEG; the original when that is not smaller. The drawing
   *  happens now (the source is closed after this returns), the encoding later. */
  function redraw(source, width, height, original) {
    var scale = Math.min(1, MAX_SIDE / Math.max(width, height));
    var canvas = canvasOf(Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale)));
    var ctx = canvas.getContext("2d");
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
    return new Promise(function (resolve) {
      canvas.toBlob(function (blob) {
        resolve(blob && blob.size < original.size * 1.1
          ? { file: new File([blob], "photo.jpg", { type: "image/jpeg" }), redrawn: true }
          : { file: original, redrawn: false });
      }, "image/jpeg", JPEG_QUALITY);
    });
  }

  /** A JPEG's stored width and height, from its frame header (SOFn) in the first HEADER_BYTES; null if not there. */
  function jpegSize(file) {
    return file.slice(0, HEADER_BYTES).arrayBuffer().then(function (buffer) {
      var view = new DataView(buffer);
      if (view.byteLength < 4 || view.getUint16(0) !== 0xFFD8) return null;
      var at = 2;
      while (at + 9 <= view.byteLength) {
        if (view.getUint8(at) !== 0xFF) return null;
        var marker = view.getUint8(at + 1);
        if (marker === 0xFF) { at += 1; continue; }  // fill byte before a marker
        var isFrame = marker >= 0xC0 && marker <= 0xCF && marker !== 0xC4 && marker !== 0xC8 && marker !== 0xCC;
        if (isFrame) return { height: view.getUint16(at + 5), width: view.getUint16(at + 7) };
        if (marker === 0xD9 || marker === 0xDA) return null;  // end of image, or the scan before any frame header
        at += 2 + view.getUint16(at + 2);
      }
      return null;
    }, function () { return null; });
  }

  window.MelanoscanPhoto = { prepare: prepare, MAX_SIDE: MAX_SIDE, JPEG_QUALITY: JPEG_QUALITY };
})();
