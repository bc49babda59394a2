// The chat pane (issue 8). The pane is a plain form that works without JavaScript (the server
// then answers with the whole reply); this script makes it live: Enter sends, Shift+Enter starts
// a new line, the answer streams in over SSE, and Stop stops it. Every piece of HTML it inserts
// was rendered and sanitized by the server (renderModelText): model text is never rendered here.
(function () {
  'use strict';

  // The answer streaming now: its bubble, its Stop URL, and what it streams over — the POST's own
  // response (`abort` ends the reading) or, after a dropped connection, an EventSource (`es`).
  var live = null; // { li: Element, stopUrl: string, es?: EventSource, abort?: AbortController }

  function csrf() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute('content') : '';
  }
  function pane() { return document.getElementById('chat-pane'); }
  function log() { return document.getElementById('chat-log'); }
  function say(text) {
    var s = document.getElementById('chat-status');
    if (s) s.textContent = text;
  }
  function buttons(streaming) {
    var p = pane();
    if (!p) return;
    var send = p.querySelector('[data-chat-send]');
    var stop = p.querySelector('[data-chat-stop]');
    if (send) send.hidden = streaming;
    if (stop) {
      stop.hidden = !streaming;
      stop.disabled = false;
    }
  }

  // Keeps the newest words in view, unless the person scrolled up to read something.
  function nearBottom(el) { return el.scrollHeight - el.scrollTop - el.clientHeight < 80; }
  function follow(fn) {
    var l = log();
    var stick = l && nearBottom(l);
    fn();
    if (l && stick) l.scrollTop = l.scrollHeight;
  }

  function showError(message) {
    var l = log();
    if (!l) return;
    var li = document.createElement('li');
    li.className = 'chat-turn chat-assistant chat-failed';
    var p = document.createElement('p');
    p.className = 'chat-note chat-error';
    p.textContent = message;
    li.appendChild(p);
    follow(function () { l.appendChild(li); });
    say(message);
  }

  function finish() {
    if (live && live.es) live.es.close();
    if (live && live.abort) live.abort.abort();
    live = null;
    buttons(false);
  }

  // What the server sends, whichever way it arrives: the answer so far, the tools used, the end.
  function onHtml(data) {
    var body = live && live.li.querySelector('[data-chat-body]');
    if (body) follow(function () { body.innerHTML = data; });
  }
  function onTools(data) {
    var tools = live && live.li.querySelector('[data-chat-tools]');
    if (tools) follow(function () { tools.innerHTML = data; });
  }
  function onDone(data) {
    if (!live) return;
    var old = live.li;
    follow(function () { old.outerHTML = data; });
    say('The answer is complete.');
    finish();
  }

  function connect(li) {
    var url = li.getAttribute('data-chat-stream');
    if (!url) return;
    if (live) finish();
    var es = new EventSource(url);
    live = { es: es, li: li, stopUrl: li.getAttribute('data-chat-stop-url') };
    buttons(true);
    es.addEventListener('html', function (e) {
      if (live && live.es === es) onHtml(e.data);
    });
    es.addEventListener('tools', function (e) {
      if (live && live.es === es) onTools(e.data);
    });
    es.addEventListener('done', function (e) {
      es.close();
      if (live && live.es === es) onDone(e.data);
    });
    es.onerror = function () {
      // EventSource reconnects by itself (the server replays the answer so far); a stream that is
      // gone for good (the answer expired, the server restarted) ends here.
      if (es.readyState !== EventSource.CLOSED || !live || live.es !== es) return;
      var li2 = live.li;
      li2.removeAttribute('aria-busy');
      li2.classList.remove('is-streaming');
      finish();
      showError('The connection to the answer was lost. Reload the page to see what was stored.');
    };
  }

  // Shows the person's message and the answer's bubble (HTML from the server); returns the bubble.
  function showTurn(html, box) {
    var l = log();
    if (!l) return null;
    box.value = '';
    follow(function () { l.insertAdjacentHTML('beforeend', html); });
    l.scrollTop = l.scrollHeight;
    var streams = l.querySelectorAll('[data-chat-stream]');
    say('Answering…');
    return streams[streams.length - 1] || null;
  }

  // Reads the POST's own SSE response: `turn` (the bubble) first, then the answer. If the
  // connection drops before the end, the bubble's EventSource takes over (the server replays).
  function readPostStream(res, box, ctrl) {
    var reader = res.body.getReader();
    var decoder = new TextDecoder();
    var buf = '';
    var mine = null; // this stream's `live`, once the bubble is shown
    function current() { return mine && live === mine; }
    function dispatch(block) {
      var event = 'message';
      var data = [];
      block.split('\n').forEach(function (line) {
        if (line.indexOf('event:') === 0) event = line.slice(6).trim();
        else if (line.indexOf('data:') === 0) data.push(line.slice(line.charAt(5) === ' ' ? 6 : 5));
      });
      if (data.length === 0) return;
      var text = data.join('\n');
      if (event === 'turn') {
        if (live) return;
        var li = showTurn(text, box);
        if (!li) return;
        mine = { li: li, stopUrl: li.getAttribute('data-chat-stop-url'), abort: ctrl };
        live = mine;
        buttons(true);
      } else if (!current()) {
        return;
      } else if (event === 'html') onHtml(text);
      else if (event === 'tools') onTools(text);
      else if (event === 'done') onDone(text);
    }
    function lost() {
      if (!mine) {
        showError('Railbook is not reachable. Is it still running?');
      } else if (current()) {
        // Follow the rest of the answer over its own stream.
        live = null;
        connect(mine.li);
      }
    }
    function pump() {
      return reader.read().then(function (r) {
        if (r.done) {
          if (current() || !mine) lost();
          return;
        }
        buf += decoder.decode(r.value, { stream: true }).replace(/\r\n?/g, '\n');
        var at;
        while ((at = buf.indexOf('\n\n')) >= 0) {
          var block = buf.slice(0, at);
          buf = buf.slice(at + 2);
          dispatch(block);
        }
        // Ended (or replaced): nothing more to read here.
        if (mine && !current()) return reader.cancel();
        return pump();
      });
    }
    return pump().catch(function () {
      if (!ctrl.signal.aborted) lost();
    });
  }

  function send(form) {
    if (live) return;
    var box = form.querySelector('textarea[name="message"]');
    if (!box || box.value.trim() === '') return;
    var body = new URLSearchParams(new FormData(form));
    var sendButton = form.querySelector('[data-chat-send]');
    if (sendButton) sendButton.setAttribute('aria-busy', 'true');
    var ctrl = new AbortController();
    fetch(form.getAttribute('action') || '/chat', {
      method: 'POST',
      // The answer streams back in this same response: no second request before the first words.
      headers: { 'HX-Request': 'true', 'X-CSRF-Token': csrf(), 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'text/event-stream' },
      body: body,
      credentials: 'same-origin',
      signal: ctrl.signal,
    }).then(function (res) {
      if (sendButton) sendButton.removeAttribute('aria-busy');
      var type = res.headers.get('Content-Type') || '';
      if (res.ok && type.indexOf('text/event-stream') === 0 && res.body) return readPostStream(res, box, ctrl);
      return res.text().then(function (text) {
        if (!res.ok) {
          showError(text && text.length < 500 ? text : 'The message could not be sent (' + res.status + ').');
          return;
        }
        // The bubble alone: its answer streams over its own URL.
        var li = showTurn(text, box);
        if (li) connect(li);
      });
    }).catch(function () {
      if (sendButton) sendButton.removeAttribute('aria-busy');
      showError('Railbook is not reachable. Is it still running?');
    });
  }

  function stop() {
    if (!live || !live.stopUrl) return;
    var b = pane() && pane().querySelector('[data-chat-stop]');
    if (b) b.disabled = true;
    fetch(live.stopUrl, {
      method: 'POST',
      headers: { 'HX-Request': 'true', 'X-CSRF-Token': csrf() },
      credentials: 'same-origin',
    }).catch(function () { /* the stream's own end (or error) says what happened */ });
    say('Stopping…');
  }

  document.addEventListener('submit', function (e) {
    var form = e.target;
    if (!form || !form.matches || !form.matches('[data-chat-form]')) return;
    e.preventDefault();
    send(form);
  });

  document.addEventListener('click', function (e) {
    var b = e.target && e.target.closest && e.target.closest('[data-chat-stop]');
    if (!b) return;
    e.preventDefault();
    stop();
  });

  // Enter sends; Shift+Enter (and Enter while an input method composes) is a new line.
  document.addEventListener('keydown', function (e) {
    if (e.key !== 'Enter' || e.shiftKey || e.isComposing || e.altKey || e.ctrlKey || e.metaKey) return;
    var box = e.target;
    if (!box || box.tagName !== 'TEXTAREA' || !box.closest) return;
    var form = box.closest('[data-chat-form]');
    if (!form) return;
    e.preventDefault();
    if (live) return;
    if (form.requestSubmit) form.requestSubmit();
    else send(form);
  });

  // Escape inside the pane stops a streaming answer.
  document.addEventListener('keydown', function (e) {
    if (e.key !== 'Escape' || !live) return;
    var p = pane();
    if (p && e.target && p.contains(e.target)) stop();
  });

  // The pane arrives after the page (htmx swaps the slot) or is replaced (New conversation): show
  // the newest turn; after New conversation the focus goes to the message box (its button is gone).
  var lastPane = null;
  var focusAfterNew = false;
  document.addEventListener('htmx:beforeRequest', function (e) {
    var elt = e.detail && e.detail.elt;
    if (elt && elt.matches && elt.matches('form.chat-new')) focusAfterNew = true;
  });
  function settle() {
    var p = pane();
    if (!p || p === lastPane || p.hasAttribute('hx-get')) return;
    lastPane = p;
    var l = log();
    if (l) l.scrollTop = l.scrollHeight;
    if (live && !document.contains(live.li)) finish();
    buttons(!!live);
    if (focusAfterNew) {
      focusAfterNew = false;
      var box = p.querySelector('textarea[name="message"]');
      if (box) box.focus();
    }
  }
  document.addEventListener('htmx:afterSettle', settle);
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', settle);
  else settle();
})();
