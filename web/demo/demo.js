// /demo/: log in, ask for a presigned URL, PUT the file straight to the store (R2/S3, or the
// local upload URL) with an XHR progress bar, create a product with it, show the links.
// Errors of the API (API.md §1: {"detail": "..."} or the 422 list) are shown as text.
'use strict';
(function () {
  var token = null;
  var $ = function (id) { return document.getElementById(id); };

  function log(msg) { $('log').textContent += msg + '\n'; }
  function showError(msg) { $('error').textContent = msg; log('error: ' + msg); }
  function setLink(id, url) { var a = $(id); a.href = url; a.textContent = url; }

  // The text of an error body: detail as a string, or each 422 entry as "loc: msg".
  function detailText(status, body) {
    var d = body && body.detail;
    if (typeof d === 'string') return status + ' ' + d;
    if (Array.isArray(d)) {
      return status + ' ' + d.map(function (e) { return (e.loc || []).join('.') + ': ' + e.msg; }).join('; ');
    }
    return status + ' (no detail)';
  }

  async function api(method, path, body, form) {
    var headers = {};
    if (token) headers.Authorization = 'Bearer ' + token;
    var init = { method: method, headers: headers };
    if (form) {
      init.body = new URLSearchParams(form);
    } else if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    var r = await fetch(path, init);
    var data = null;
    try { data = await r.json(); } catch (e) { data = null; }
    if (!r.ok) throw new Error(method + ' ' + path + ': ' + detailText(r.status, data));
    return data;
  }

  function put(url, file, headers) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open('PUT', url);
      Object.keys(headers || {}).forEach(function (k) { xhr.setRequestHeader(k, headers[k]); });
      xhr.upload.onprogress = function (ev) {
        if (!ev.lengthComputable) return;
        var pct = Math.floor(ev.loaded * 100 / ev.total);
        $('progress').value = pct;
        $('progress-text').textContent = pct + ' %';
      };
      xhr.onload = function () {
        if (xhr.status >= 200 && xhr.status < 300) {
          $('progress').value = 100;
          $('progress-text').textContent = '100 %';
          resolve(xhr);
        } else {
          var body = null;
          try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
          reject(new Error('PUT upload: ' + (body ? detailText(xhr.status, body) : xhr.status + ' ' + xhr.responseText.slice(0, 200))));
        }
      };
      xhr.onerror = function () { reject(new Error('PUT upload: network error (is the bucket CORS rule set? docs/storage.md)')); };
      xhr.send(file);
    });
  }

  $('login').addEventListener('submit', async function (ev) {
    ev.preventDefault();
    $('error').textContent = '';
    try {
      var t = await api('POST', '/api/v1/login/access-token', undefined,
        { username: $('email').value, password: $('password').value });
      token = t.access_token;
      $('login-status').textContent = 'logged in';
      $('upload-button').disabled = false;
      log('logged in');
    } catch (e) { showError(e.message); }
  });

  $('upload').addEventListener('submit', async function (ev) {
    ev.preventDefault();
    $('error').textContent = '';
    var file = $('file').files[0];
    if (!file) { showError('choose a file'); return; }
    try {
      var p = await api('POST', '/api/v1/uploads/presigned-url', {
        filename: file.name, content_type: file.type || 'application/octet-stream', size: file.size });
      log('presigned: ' + p.upload_url.split('?')[0] + ' (expires in ' + p.expires_in_seconds + ' s)');
      await put(p.upload_url, file, p.required_headers);
      log('uploaded ' + file.size + ' bytes to ' + p.key);
      setLink('file-url', p.file_url);
      setLink('files-link', '/files/' + p.key);
      var product = await api('POST', '/api/v1/products', {
        sku: $('sku').value, name: $('name').value, cover_image_url: p.file_url });
      $('product').textContent = product.id + ' (' + product.sku + ')';
      setLink('media-url', product.cover_image_url);
      // The temp object is gone once ingested: /files now serves the canonical media key.
      var m = new URL(product.cover_image_url, location.href).pathname.match(/\/(media\/.+)$/);
      if (m) setLink('files-link', '/files/' + m[1]);
      log('product ' + product.id);
    } catch (e) { showError(e.message); }
  });
})();
