/* Evidence photos are made smaller in the browser before they are sent, so a 4 MB camera
   photo goes over a 2G/3G connection as a ~300 KB JPEG: the long side brought down to
   1600 px, JPEG quality 0.8, the camera's EXIF orientation applied (the canvas keeps no EXIF,
   so no GPS position leaves the phone either). PDFs, files the browser cannot decode, and
   photos already smaller than the result are sent as they are. Without JavaScript the plain
   upload works and the server does the same resizing. No library, no build step. */
(function () {
  "use strict";
  var MAX_SIDE = 1600;
  var QUALITY = 0.8;

  function decode(file) {
    if (window.createImageBitmap) {
      return createImageBitmap(file, { imageOrientation: "from-image" }).catch(function () {
        return decodeWithImg(file);
      });
    }
    return decodeWithImg(file);
  }

  function decodeWithImg(file) {
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () { URL.revokeObjectURL(url); resolve(img); };
      img.onerror = function () { URL.revokeObjectURL(url); reject(new Error("undecodable")); };
      img.src = url;
    });
  }

  function shrink(file) {
    return decode(file).then(function (picture) {
      var w = picture.width, h = picture.height;
      var scale = Math.min(1, MAX_SIDE / Math.max(w, h));
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(w * scale));
      canvas.height = Math.max(1, Math.round(h * scale));
      var context = canvas.getContext("2d");
      context.fillStyle = "#fff"; // a transparent PNG becomes a JPEG on white, not on black
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(picture, 0, 0, canvas.width, canvas.height);
      if (picture.close) { picture.close(); }
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          if (!blob || (scale === 1 && blob.size >= file.size)) { resolve(file); return; }
          var name = (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg";
          resolve(new File([blob], name, { type: "image/jpeg", lastModified: Date.now() }));
        }, "image/jpeg", QUALITY);
      });
    });
  }

  function status(input, text) {
    var note = input.parentNode.querySelector(".evidence-status");
    if (!note) {
      note = document.createElement("small");
      note.className = "hint evidence-status";
      note.setAttribute("aria-live", "polite");
      input.parentNode.appendChild(note);
    }
    note.textContent = text;
  }

  function prepare(input) {
    var file = input.files && input.files[0];
    input.evidencePending = null;
    if (!file || !/^image\//.test(file.type) || typeof DataTransfer === "undefined") { return; }
    input.evidencePending = shrink(file).then(function (smaller) {
      if (smaller !== file) {
        var transfer = new DataTransfer();
        transfer.items.add(smaller);
        input.files = transfer.files;
        status(input, Math.round(file.size / 1000) + " KB → " + Math.round(smaller.size / 1000) + " KB");
      }
      input.setAttribute("data-resized", smaller !== file ? "1" : "0");
    }).catch(function () {
      input.setAttribute("data-resized", "0"); // the server decides, and resizes if it can read it
    }).then(function () { input.evidencePending = null; });
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.matches && input.matches("input[type=file][data-evidence]")) { prepare(input); }
  });

  // A form sent while a photo is still being made smaller waits for it.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var pending = Array.prototype.map.call(
      form.querySelectorAll("input[type=file][data-evidence]"),
      function (input) { return input.evidencePending; }
    ).filter(Boolean);
    if (!pending.length) { return; }
    event.preventDefault();
    Promise.all(pending).then(function () { form.requestSubmit ? form.requestSubmit() : form.submit(); });
  }, true);
})();
