// Progressive enhancement of the upload form: drag-and-drop, a preview, and
// the result from /api/predict shown without a page reload. Without this
// script the form posts to / and the server renders the same result.
(function () {
  'use strict';
  document.documentElement.classList.add('js');
  var form = document.getElementById('upload');
  if (!form || !window.fetch || !window.FormData) return;
  var input = document.getElementById('file');
  var drop = document.getElementById('drop');
  var preview = document.getElementById('preview');
  var result = document.getElementById('result');
  var body = document.getElementById('result-body');
  var d = form.dataset;
  var maxUpload = Number(d.maxUpload) || 0;
  var previewURL = null;
  var seq = 0;

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function pct(p) { return (p * 100).toFixed(1) + '%'; }

  function showPreview(file) {
    if (previewURL) URL.revokeObjectURL(previewURL);
    previewURL = URL.createObjectURL(file);
    preview.src = previewURL;
    preview.hidden = false;
  }

  // The tab's title says the outcome too, as the page the form posts to
  // without JavaScript does: "boar 97.0% · Image classifier".
  var title = document.querySelector('h1').textContent;
  function setTitle(outcome) { document.title = outcome + ' · ' + title; }

  function renderResult(data) {
    var verdict = el('p', { 'class': 'verdict', 'data-class': data.class }, d.topPrefix + ' ');
    verdict.appendChild(el('strong', {}, data.display_name));
    verdict.appendChild(document.createTextNode(' '));
    verdict.appendChild(el('span', { 'class': 'pct' }, pct(data.probability)));
    var list = el('ul', { 'class': 'probs', 'aria-label': d.probabilitiesLabel });
    data.probabilities.forEach(function (p, i) {
      var li = el('li', { 'data-class': p.class, 'data-probability': String(p.probability) });
      if (p.class === data.class) li.className = 'best';
      li.appendChild(el('span', { 'class': 'name', id: 'prob-' + i }, p.display_name));
      var bar = el('progress', { max: '1', 'aria-labelledby': 'prob-' + i }, pct(p.probability));
      bar.value = p.probability;
      li.appendChild(bar);
      li.appendChild(el('span', { 'class': 'value' }, pct(p.probability)));
      list.appendChild(li);
    });
    body.replaceChildren(verdict, list);
    setTitle(data.display_name + ' ' + pct(data.probability));
  }

  function renderError(code, message) {
    var box = el('div', { 'class': 'error', role: 'alert', 'data-error': code || 'network' });
    box.appendChild(el('p')).appendChild(el('strong', {}, d.errorHeading));
    box.appendChild(el('p', {}, message));
    body.replaceChildren(box);
    setTitle(d.errorHeading);
  }

  function classify(file) {
    if (!file) { input.focus(); return; }
    var id = ++seq;
    result.hidden = false;
    if (maxUpload > 0 && file.size > maxUpload) {
      // The server would refuse it (413) and close the connection while the
      // file is still being sent, which browsers often report as a network
      // error: refuse it here, with the server's own message.
      result.removeAttribute('aria-busy');
      renderError('body_too_large', d.tooLarge);
      return;
    }
    result.setAttribute('aria-busy', 'true');
    body.replaceChildren(el('p', { 'class': 'status' }, d.classifying));
    var fd = new FormData();
    fd.append('file', file);
    fetch('/api/predict?lang=' + encodeURIComponent(d.lang), {
      method: 'POST', body: fd, headers: { 'Accept': 'application/json' }
    }).then(function (resp) {
      return resp.json().catch(function () { return null; }).then(function (data) {
        if (id !== seq) return;
        if (!resp.ok || !data || data.error) {
          renderError(data && data.error, data && data.message ? data.message : 'HTTP ' + resp.status);
        } else {
          renderResult(data);
        }
      });
    }, function () {
      // No answer at all ("TypeError: Failed to fetch"): say so in words.
      if (id === seq) renderError('network', d.networkError);
    }).catch(function (err) {
      if (id === seq) renderError('internal', String(err));
    }).finally(function () {
      if (id === seq) result.removeAttribute('aria-busy');
    });
  }

  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    classify(input.files && input.files[0]);
  });
  input.addEventListener('change', function () {
    var f = input.files && input.files[0];
    if (f) { showPreview(f); classify(f); }
  });
  ['dragenter', 'dragover'].forEach(function (t) {
    drop.addEventListener(t, function (ev) { ev.preventDefault(); drop.classList.add('over'); });
  });
  ['dragleave', 'dragend'].forEach(function (t) {
    drop.addEventListener(t, function () { drop.classList.remove('over'); });
  });
  drop.addEventListener('drop', function (ev) {
    ev.preventDefault();
    drop.classList.remove('over');
    var files = ev.dataTransfer && ev.dataTransfer.files;
    if (!files || !files.length) return;
    try { input.files = files; } catch (e) { /* older browsers: keep the dropped file only */ }
    showPreview(files[0]);
    classify(files[0]);
  });
})();
