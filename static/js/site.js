// What the pages once did with inline handlers, which the Content-Security-Policy forbids:
// a select with data-autosubmit submits its form on change; a button with data-confirm asks first.
// Every form still works without JavaScript.
document.addEventListener("change", function (event) {
  var el = event.target;
  if (el.matches && el.matches("select[data-autosubmit]") && el.form) {
    el.form.submit();
  }
});
document.addEventListener("click", function (event) {
  var el = event.target.closest ? event.target.closest("[data-confirm]") : null;
  if (el && !window.confirm(el.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});
// The attachment form: a file may also be dropped on it, and an upload shows its progress. Without
// JavaScript (or without these browser features) it stays a plain file input and a submit button.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form[data-upload]").forEach(function (form) {
    var zone = form.querySelector("[data-dropzone]");
    var input = form.querySelector("input[type=file]");
    var bar = form.querySelector("progress");
    if (!zone || !input || !bar || !window.FormData || !window.DataTransfer || !window.XMLHttpRequest) {
      return;
    }
    zone.hidden = false;
    function send() {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("X-Upload", "1");
      bar.hidden = false;
      bar.value = 0;
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) {
          bar.value = Math.round((100 * e.loaded) / e.total);
        }
      });
      // the server answers where to go; the page there says what happened
      xhr.addEventListener("load", function () {
        var next = window.location.href;
        try {
          next = JSON.parse(xhr.responseText).location || next;
        } catch (e) {
          /* not the expected answer: reload, the page says what happened */
        }
        window.location.assign(next);
      });
      xhr.addEventListener("error", function () {
        form.submit();
      });
      xhr.send(new FormData(form));
    }
    ["dragenter", "dragover"].forEach(function (type) {
      zone.addEventListener(type, function (e) {
        e.preventDefault();
        zone.classList.add("over");
      });
    });
    ["dragleave", "drop"].forEach(function (type) {
      zone.addEventListener(type, function (e) {
        e.preventDefault();
        zone.classList.remove("over");
      });
    });
    zone.addEventListener("drop", function (e) {
      if (e.dataTransfer && e.dataTransfer.files.length) {
        var files = new DataTransfer();
        files.items.add(e.dataTransfer.files[0]);
        input.files = files.files;
        send();
      }
    });
    form.addEventListener("submit", function (e) {
      if (input.files.length) {
        e.preventDefault();
        send();
      }
    });
  });
});
// The draft form: as the title and summary are typed, ask the duplicate screen
// (GET /api/v1/duplicates/) and list the likely duplicates under the summary. Without JavaScript
// the form is the same form; the advisory team sees the screen on the dossier page anyway.
document.addEventListener("DOMContentLoaded", function () {
  var box = document.querySelector("[data-duplicates]");
  if (!box || !window.fetch || !window.URLSearchParams) {
    return;
  }
  var form = box.closest("form");
  var title = form.querySelector("[name=title]");
  var summary = form.querySelector("[name=summary]");
  var org = form.querySelector("[name=organisation]");
  var list = box.querySelector("ul");
  var timer = null;
  var last = "";
  function show(results) {
    list.textContent = "";
    results.forEach(function (d) {
      var li = document.createElement("li");
      li.textContent =
        d.title + " · " + d.organisation + " (" + box.getAttribute("data-similarity-label") + " " +
        Math.round(d.similarity * 100) + " %)";
      if (d.reasons && d.reasons.length) {
        var why = document.createElement("small");
        why.className = "muted";
        why.textContent = d.reasons.join(" · ");
        li.appendChild(document.createElement("br"));
        li.appendChild(why);
      }
      list.appendChild(li);
    });
    box.hidden = results.length === 0;
  }
  function ask() {
    var t = title.value.trim();
    if (t.length < 10) {
      show([]);
      return;
    }
    var params = new URLSearchParams({ title: t.slice(0, 300), summary: (summary ? summary.value : "").slice(0, 5000) });
    if (org && org.value) {
      params.set("organisation", org.value);
    }
    if (box.getAttribute("data-exclude")) {
      params.set("exclude", box.getAttribute("data-exclude"));
    }
    var query = params.toString();
    if (query === last) {
      return;
    }
    last = query;
    fetch(box.getAttribute("data-duplicates") + "?" + query, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (r) {
        return r.ok ? r.json() : { results: [] };
      })
      .then(function (data) {
        if (query === last) {
          show(data.results || []);
        }
      })
      .catch(function () {});
  }
  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(ask, 400);
  }
  [title, summary, org].forEach(function (el) {
    if (el) {
      el.addEventListener("input", later);
      el.addEventListener("change", later);
    }
  });
  ask();
});

// A register import in progress (/imports/{id}/): poll its API for the progress bar, and reload the
// page when its state changes (checked, done, failed). Without JavaScript the page says to reload.
document.addEventListener("DOMContentLoaded", function () {
  var box = document.querySelector("[data-poll]");
  if (!box || !window.fetch) {
    return;
  }
  var bar = box.querySelector("progress");
  var text = box.querySelector("[data-poll-text]");
  var state = box.getAttribute("data-poll-state");
  function poll() {
    fetch(box.getAttribute("data-poll"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        return r.ok ? r.json() : null;
      })
      .then(function (d) {
        if (!d) {
          return;
        }
        if (d.state !== state) {
          window.location.reload();
          return;
        }
        if (bar && d.total) {
          bar.max = d.total;
          bar.value = d.done;
        }
        if (text) {
          text.textContent = d.done.toLocaleString() + "/" + d.total.toLocaleString();
        }
        window.setTimeout(poll, 1500);
      })
      .catch(function () {
        window.setTimeout(poll, 5000);
      });
  }
  window.setTimeout(poll, 1000);
});
