/* The chat inside Baton's widget iframe. Everything a person typed is shown with textContent. */
(function () {
  "use strict";
  var cfg = JSON.parse(document.body.getAttribute("data-config"));
  function $(id) { return document.getElementById(id); }
  var messages = $("messages"), choices = $("choices"), input = $("answer"), form = $("composer");
  var sendButton = $("send"), typing = $("typing"), statusLine = $("status");
  var restartBox = $("restart-box"), restartButton = $("restart");
  var liveLine = $("live-status"), connectionLine = $("connection"), offers = $("offers");
  var embedded = window.parent !== window;
  var POLL_MS = 3000, STREAM_TRIES = 3, STREAM_RETRY_MS = 60000;
  var state = {
    token: null, prompt: null, queue: [], busy: false, started: false, initialised: false,
    consentShown: false, restarting: false, canRestart: false, endedShown: false,
    live: null, offer: null, asking: null,
    seen: {}, cursor: 0, held: [], visible: !embedded
  };
  /* The live feed: a stream while it works, else polling. `gen` tells stale callbacks apart. */
  var feed = { gen: 0, controller: null, timer: null, failures: 0, polling: false, since: 0 };

  document.documentElement.style.setProperty("--accent", cfg.theme.color);
  document.documentElement.style.setProperty("--on-accent", cfg.theme.text_color);

  function tell(type, extra) {
    if (!embedded) return;
    var message = { type: type };
    Object.keys(extra || {}).forEach(function (k) { message[k] = extra[k]; });
    window.parent.postMessage(message, cfg.parent_origin);
  }

  function scrollDown() { messages.scrollTop = messages.scrollHeight; }

  /* Messages keep the conversation's order: one with a seq goes before any with a later seq. */
  function place(el, seq) {
    if (seq) {
      el.setAttribute("data-seq", String(seq));
      var nodes = messages.children;
      for (var i = 0; i < nodes.length; i++) {
        var other = parseInt(nodes[i].getAttribute("data-seq") || "0", 10);
        if (other > seq) { messages.insertBefore(el, nodes[i]); scrollDown(); return el; }
      }
    }
    messages.appendChild(el);
    scrollDown();
    return el;
  }

  function bubble(kind, text, seq) {
    var div = document.createElement("div");
    div.className = "bubble " + kind;
    div.textContent = text;
    return place(div, seq);
  }

  function note(text, kind, seq) {
    var div = document.createElement("div");
    div.className = "note" + (kind ? " " + kind : "");
    div.textContent = text;
    return place(div, seq);
  }

  /* A person's message in a live chat, under their name. */
  function sdrBubble(name, text, seq) {
    var div = document.createElement("div");
    div.className = "bubble sdr";
    var who = document.createElement("span");
    who.className = "author";
    who.textContent = name || "Our team";
    var body = document.createElement("span");
    body.className = "text";
    body.textContent = text;
    div.appendChild(who);
    div.appendChild(body);
    return place(div, seq);
  }

  function consentBefore(expects, seq) {
    if (expects === "email" && cfg.consent_text && !state.consentShown) {
      note(cfg.consent_text, "consent", seq);
      state.consentShown = true;
    }
  }

  function showStatus(text) {
    statusLine.textContent = text;
    statusLine.hidden = !text;
  }

  function liveOpen() {
    return !!state.live && (state.live.status === "waiting" || state.live.status === "live");
  }

  function newTurnId() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }

  function setInputHints(expects) {
    input.type = expects === "email" ? "email" : "text";
    input.setAttribute("inputmode", expects === "email" ? "email" : expects === "number" ? "numeric" : "text");
    input.setAttribute("autocomplete", expects === "email" ? "email" : "off");
    input.placeholder = liveOpen() ? "Type your message…" : expects === "email" ? "name@company.com" : "Type your answer…";
  }

  /* One message of the transcript (history, stream or poll), shown once. */
  function showItem(item) {
    if (item.seq) {
      if (state.seen[item.seq]) return;
      state.seen[item.seq] = true;
    }
    if (item.author === "prospect") {
      bubble("visitor", item.text, item.seq);
    } else if (item.author === "sdr") {
      sdrBubble(item.agent, item.text, item.seq);
    } else if (item.author === "system") {
      note(item.text, "system", item.seq);
    } else {
      item.notices.forEach(function (text) { note(text, "", item.seq); });
      consentBefore(item.expects, item.seq);
      bubble("bot", item.text, item.seq);
    }
    takeOffer(item.author, item.offer);
  }

  /* An offer stands until the prospect says something or a notice replaces it; a bot message
   * without an offer leaves it (a missed chat offers a follow-up beside the question). */
  function takeOffer(author, offer) {
    if (author === "prospect" || author === "system") state.offer = offer || null;
    else if (author === "bot" && offer) state.offer = offer;
  }

  function renderLive() {
    var text = "";
    if (state.live && state.live.status === "waiting") text = "Waiting for someone from our team…";
    else if (state.live && state.live.status === "live") text = (state.live.agent || "Someone from our team") + " is here";
    liveLine.textContent = text;
    liveLine.hidden = !text;
  }

  function offerButton(label, onClick) {
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = label;
    button.addEventListener("click", onClick);
    offers.appendChild(button);
    return button;
  }

  /* The offer still standing: talk to someone now, or a follow-up (email / meeting). */
  function renderOffer() {
    var offer = liveOpen() ? null : state.offer;
    var asking = state.asking ? state.asking.kind + ":" + state.asking.problem : "";
    var key = (offer || "") + "|" + asking;
    if (offers.getAttribute("data-key") === key) return; // keep what is being typed
    offers.setAttribute("data-key", key);
    offers.textContent = "";
    offers.hidden = !offer;
    if (offer === "live") {
      offerButton("Talk to someone now", takeLive);
    } else if (offer === "followup") {
      offerButton("Email me", function () { followUp("email", null); });
      offerButton("Book a meeting", function () { followUp("meeting", null); });
      if (state.asking) askEmail(state.asking.kind, state.asking.problem);
    }
  }

  /* The follow-up needs an email address: ask for it right here. */
  function askEmail(kind, problem) {
    var box = document.createElement("form");
    box.className = "email-ask";
    box.noValidate = true;
    var label = document.createElement("label");
    label.textContent = problem || "What email address should we use?";
    label.setAttribute("for", "followup-email");
    var field = document.createElement("input");
    field.type = "email";
    field.id = "followup-email";
    field.autocomplete = "email";
    field.maxLength = 320;
    field.placeholder = "name@company.com";
    var go = document.createElement("button");
    go.type = "submit";
    go.textContent = kind === "meeting" ? "Book a meeting" : "Email me";
    box.appendChild(label);
    box.appendChild(field);
    box.appendChild(go);
    box.addEventListener("submit", function (event) {
      event.preventDefault();
      followUp(kind, field.value.trim());
    });
    offers.appendChild(box);
    field.focus();
  }

  function renderControls(focus) {
    var prompt = state.prompt, open = liveOpen();
    choices.textContent = "";
    if (!prompt.done && !open) {
      prompt.choices.forEach(function (choice) {
        var button = document.createElement("button");
        button.type = "button";
        button.textContent = choice.label;
        button.addEventListener("click", function () { send(choice.label); });
        choices.appendChild(button);
      });
    }
    setInputHints(open ? null : prompt.expects);
    var ended = prompt.done && !open;
    var wasDisabled = input.disabled;
    input.disabled = sendButton.disabled = ended;
    restartBox.hidden = !(ended && state.canRestart);
    renderLive();
    renderOffer();
    scrollDown(); // the quick replies above the input may have shrunk the message list
    if (ended && !state.endedShown) {
      state.endedShown = true;
      var previous = $("ended-note");
      if (previous) previous.removeAttribute("id");
      note("This chat has ended. Thank you!", "ended").id = "ended-note";
      (restartBox.hidden ? $("close") : restartButton).focus();
    } else if (!ended) {
      // A person took over a finished chat (or the bot asks again): it has not ended.
      var stale = state.endedShown && $("ended-note");
      if (stale) stale.remove();
      state.endedShown = false;
      if (focus || wasDisabled) input.focus();
    }
  }

  /* `canRestart`: the chat ended and the server lets this visitor start a new one. */
  function renderPrompt(prompt, asNewMessage, canRestart, seq) {
    state.prompt = prompt;
    state.canRestart = !!canRestart;
    if (asNewMessage && !(seq && state.seen[seq])) {
      if (seq) state.seen[seq] = true;
      prompt.notices.forEach(function (text) { note(text, "", seq); });
      consentBefore(prompt.expects, seq);
      bubble("bot", prompt.text, seq);
      takeOffer("bot", prompt.offer);
    }
    var answered = prompt.progress[0], total = prompt.progress[1];
    var percent = prompt.done ? 100 : total ? Math.round((100 * answered) / total) : 0;
    $("progress-bar").style.width = percent + "%";
    $("progress").setAttribute("aria-valuenow", String(percent));
    renderControls(asNewMessage);
  }

  /* The live chat, prompt and restart flag as the server has them (stream, poll, actions). */
  function applyState(data) {
    var shown = state.prompt;
    if (shown && data.prompt.conversation_id !== shown.conversation_id) {
      openSession(state.token, null); // another tab started a new conversation
      return;
    }
    // Every change bumps the conversation's version: an older view arrived late.
    if (shown && data.prompt.version < shown.version) return;
    state.live = data.live || null;
    renderPrompt(data.prompt, false, data.can_restart);
  }

  /* Stream and poll events wait while a turn is in flight, so its reply is shown once. */
  function deliver(kind, data) {
    if (state.busy) { state.held.push([kind, data]); return; }
    if (kind === "message") {
      if (state.prompt && data.seq <= state.cursor) return;
      state.cursor = Math.max(state.cursor, data.seq);
      showItem(data);
    } else {
      applyState(data);
    }
  }

  function flushHeld() {
    var held = state.held;
    state.held = [];
    held.forEach(function (event) { deliver(event[0], event[1]); });
  }

  /* The wait a 429 or 503 asks for (Retry-After, in seconds, kept to 1..30), or 0 when none. */
  function retryAfter(response) {
    var asked = parseInt((response && response.headers.get("Retry-After")) || "", 10);
    return asked >= 0 ? Math.min(30, Math.max(1, asked)) : 0;
  }

  /* POST with automatic retry, after the server's Retry-After or a backoff; resolves with
   * {status, data} for any answer that should not be retried. The same body (and so the same
   * turn id) is sent on every attempt. `kept` tells the visitor what waits meanwhile. */
  function request(url, body, kept) {
    var attempt = 0;
    return new Promise(function (resolve) {
      function retryLater(response, why) {
        attempt += 1;
        var delay = retryAfter(response) || Math.min(30, Math.pow(2, Math.min(attempt - 1, 5)));
        typing.hidden = true;
        showStatus(why + " " + delay + " s." + (kept ? " " + kept : ""));
        setTimeout(go, delay * 1000);
      }
      function go() {
        fetch(url, {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify(body),
          credentials: "same-origin"
        }).then(function (response) {
          if (response.status === 429) {
            retryLater(response, "Too many messages at once — retrying in");
          } else if (response.status === 503) {
            retryLater(response, "Reconnecting… next try in"); // e.g. the database is away
          } else if (response.status >= 500) {
            retryLater(null, "Can't reach the server — retrying in");
          } else {
            return response.json().then(function (data) {
              showStatus("");
              resolve({ status: response.status, data: data });
            });
          }
        }).catch(function () { retryLater(null, "Can't reach the server — retrying in"); });
      }
      go();
    });
  }

  /* --- the live feed: server-sent events over a streaming fetch, or polling ------------- */

  function showConnection(text) {
    connectionLine.textContent = text;
    connectionLine.hidden = !text;
  }

  function stopFeed() {
    feed.gen += 1;
    if (feed.controller) feed.controller.abort();
    feed.controller = null;
    clearTimeout(feed.timer);
    feed.timer = null;
    showConnection("");
  }

  function startFeed(fresh) {
    stopFeed();
    if (fresh) { feed.failures = 0; feed.polling = false; }
    if (!state.started || !state.visible) return;
    if (feed.polling && Date.now() - feed.since < STREAM_RETRY_MS) poll(feed.gen);
    else openStream(feed.gen);
  }

  function later(gen, ms, run) {
    clearTimeout(feed.timer);
    feed.timer = setTimeout(function () { if (gen === feed.gen) run(gen); }, ms);
  }

  function startPolling(gen) {
    if (!feed.polling) { feed.polling = true; feed.since = Date.now(); }
    showConnection("");
    poll(gen);
  }

  function streamFailed(gen, retryAfter) {
    if (gen !== feed.gen) return;
    feed.controller = null;
    feed.failures += 1;
    if (feed.failures >= STREAM_TRIES) { startPolling(gen); return; }
    showConnection("Reconnecting…");
    var wait = Math.max(retryAfter * 1000, 1000 * Math.pow(2, feed.failures - 1));
    later(gen, wait, openStream);
  }

  function handleEvent(block) {
    var event = "message", data = [];
    block.split("\n").forEach(function (line) {
      if (line.indexOf("event:") === 0) event = line.slice(6).trim();
      else if (line.indexOf("data:") === 0) data.push(line.slice(5).replace(/^ /, ""));
    });
    if (!data.length) return false;
    deliver(event === "live" ? "state" : "message", JSON.parse(data.join("\n")));
    return true;
  }

  function openStream(gen) {
    if (!window.fetch || !window.AbortController || !window.TextDecoder || !window.ReadableStream) {
      startPolling(gen);
      return;
    }
    var controller = new AbortController(), got = false;
    feed.controller = controller;
    fetch(cfg.stream_url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "text/event-stream" },
      body: JSON.stringify({ token: state.token, after: state.cursor }),
      credentials: "same-origin",
      cache: "no-store",
      signal: controller.signal
    }).then(function (response) {
      if (response.status === 503 || response.status === 404) { feed.failures = STREAM_TRIES; throw new Error("poll"); }
      if (response.status === 429) {
        var wait = parseInt(response.headers.get("Retry-After") || "5", 10);
        streamFailed(gen, wait);
        return null;
      }
      if (!response.ok || !response.body || !response.body.getReader) throw new Error("HTTP " + response.status);
      var reader = response.body.getReader(), decoder = new TextDecoder(), buffer = "";
      function read() {
        return reader.read().then(function (chunk) {
          if (gen !== feed.gen) { reader.cancel(); return; }
          if (chunk.done) return;
          buffer += decoder.decode(chunk.value, { stream: true }).replace(/\r\n/g, "\n");
          var end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            var block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            if (handleEvent(block) && !got) {
              got = true;
              feed.failures = 0;
              feed.polling = false;
              showConnection("");
            }
          }
          return read();
        });
      }
      return read().then(function () { return true; });
    }).then(function (finished) {
      if (finished === null || gen !== feed.gen) return;
      feed.controller = null;
      if (got) later(gen, 100, openStream); // the server ended it after a while: reconnect
      else streamFailed(gen, 0);
    }).catch(function () {
      if (gen === feed.gen) streamFailed(gen, 0);
    });
  }

  function poll(gen) {
    var wait = POLL_MS;
    fetch(cfg.messages_url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: state.token, after: state.cursor }),
      credentials: "same-origin",
      cache: "no-store"
    }).then(function (response) {
      wait = retryAfter(response) * 1000 || POLL_MS;
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(function (data) {
      if (gen !== feed.gen) return;
      showConnection("");
      data.messages.forEach(function (item) { deliver("message", item); });
      deliver("state", data);
      if (data.more) { later(gen, 0, poll); return; }
      if (Date.now() - feed.since >= STREAM_RETRY_MS) { feed.failures = 0; later(gen, POLL_MS, openStream); return; }
      later(gen, POLL_MS, poll);
    }).catch(function () {
      if (gen !== feed.gen) return;
      showConnection("Reconnecting…");
      later(gen, wait, poll);
    });
  }

  /* Fetch what is new once (after an action), whatever the feed is doing. */
  function catchUp() {
    fetch(cfg.messages_url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ token: state.token, after: state.cursor }),
      credentials: "same-origin",
      cache: "no-store"
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (data) {
      if (!data) return;
      data.messages.forEach(function (item) { deliver("message", item); });
      deliver("state", data);
    }).catch(function () { /* the feed catches up later */ });
  }

  /* --- conversation ------------------------------------------------------------------- */

  /* Show a conversation as the server has it (session and restart answers). */
  function showChat(data) {
    state.token = data.token;
    tell("baton:token", { token: data.token });
    messages.textContent = "";
    state.consentShown = false;
    state.endedShown = false;
    state.seen = {};
    state.cursor = 0;
    state.held = [];
    state.asking = null;
    data.history.forEach(function (item) {
      showItem(item);
      state.cursor = Math.max(state.cursor, item.seq);
    });
    state.offer = data.offer || null;
    state.live = data.live || null;
    state.queue.forEach(function (item) { messages.appendChild(item.bubble); });
    renderPrompt(data.prompt, false, data.can_restart);
    state.started = true;
    startFeed(true);
    pump();
  }

  function openSession(token, page) {
    state.started = false;
    stopFeed();
    request(cfg.session_url, { token: token, page: page || {}, host_origin: cfg.parent_origin })
      .then(function (result) {
        if (result.status !== 200) {
          note((result.data && result.data.detail) || "The chat is not available right now.");
          return;
        }
        showChat(result.data);
      });
  }

  function forgotten() {
    tell("baton:forget");
    note("Your chat session was not recognised, so a new one has started.");
    openSession(null, null);
  }

  /* A new conversation after the chat ended. The server starts at most one, so a second click
   * or another tab only gets the conversation already started. */
  function restartChat() {
    if (state.restarting || !state.token) return;
    state.restarting = true;
    restartButton.setAttribute("aria-disabled", "true");
    showStatus("Starting a new conversation…");
    request(cfg.restart_url, { token: state.token }).then(function (result) {
      state.restarting = false;
      restartButton.removeAttribute("aria-disabled");
      var data = result.data || {};
      if (result.status === 200) {
        showChat(data);
      } else if (result.status === 403) {
        restartBox.hidden = true;
        forgotten();
      } else {
        restartBox.hidden = true;
        note(data.detail || "A new conversation could not be started.");
        $("close").focus();
      }
    });
  }

  /* Talk to someone now (the offer at the end of the questions). */
  function takeLive() {
    offers.hidden = true;
    request(cfg.live_url, { token: state.token }).then(function (result) {
      var data = result.data || {};
      if (result.status === 200) {
        applyState(data);
        catchUp();
      } else if (result.status === 409) {
        note(data.detail, "system");
        state.offer = "followup";
        offers.removeAttribute("data-key");
        applyState(data.state);
      } else if (result.status === 403) {
        forgotten();
      } else {
        note(data.detail || "That did not work; please try again.");
        offers.removeAttribute("data-key");
        renderOffer();
      }
    });
  }

  /* Email me / book a meeting; asks for an email address when the server needs one. */
  function followUp(kind, email) {
    state.asking = null;
    offers.hidden = true;
    request(cfg.followup_url, { token: state.token, kind: kind, email: email }).then(function (result) {
      var data = result.data || {};
      if (result.status === 200) {
        state.offer = null;
        applyState(data);
        catchUp();
      } else if (result.status === 422 && data.needs_email) {
        state.asking = { kind: kind, problem: data.detail };
        renderOffer();
      } else if (result.status === 403) {
        forgotten();
      } else {
        note(data.detail || "That did not work; please try again.");
        offers.removeAttribute("data-key");
        renderOffer();
      }
    });
  }

  function keepText(text) {
    if (!input.value) input.value = text;
  }

  function pump() {
    if (state.busy || !state.started || !state.queue.length) return;
    var item = state.queue[0];
    state.busy = true;
    typing.hidden = liveOpen();
    request(cfg.turn_url, {
      token: state.token,
      turn_id: item.turnId,
      text: item.text,
      expected_version: state.prompt.version
    }, "Your message is kept and will be sent.").then(function (result) {
      state.busy = false;
      typing.hidden = true;
      state.queue.shift();
      item.bubble.classList.remove("pending");
      var data = result.data || {};
      if (result.status === 200) {
        if (data.seq) {
          state.seen[data.seq] = true;
          item.bubble.remove();
          place(item.bubble, data.seq);
        }
        item.bubble.setAttribute("data-state", "sent");
        state.live = data.live || null;
        if (data.replied) renderPrompt(data.prompt, true, data.can_restart, data.reply_seq);
        else renderControls(false);
      } else if (result.status === 409) {
        // Another tab or click answered first: show the conversation as the server has it.
        item.bubble.remove();
        keepText(item.text);
        state.held = [];
        openSession(state.token, null);
        return;
      } else if (result.status === 403) {
        item.bubble.remove();
        keepText(item.text);
        state.held = [];
        forgotten();
        return;
      } else {
        item.bubble.remove();
        keepText(item.text);
        note(data.detail || "That message could not be sent.");
      }
      flushHeld();
      pump();
    });
  }

  function send(text) {
    text = (text || "").trim();
    if (!text || (state.prompt && state.prompt.done && !liveOpen())) return;
    var item = { turnId: newTurnId(), text: text, bubble: bubble("visitor pending", text) };
    takeOffer("prospect", null);
    state.asking = null;
    renderOffer();
    state.queue.push(item);
    choices.textContent = "";
    pump();
  }

  /* The panel is shown or hidden: keep a live feed only while it is shown. */
  function setVisible(visible) {
    if (visible === state.visible) return;
    state.visible = visible;
    if (visible) startFeed(true);
    else stopFeed();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    input.value = "";
    send(text);
    input.focus();
  });
  $("close").addEventListener("click", function () { tell("baton:close"); setVisible(false); });
  restartButton.addEventListener("click", restartChat);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { tell("baton:close"); setVisible(false); }
  });
  // The loader hides the panel (display: none) without telling this frame; the page's
  // viewport then no longer shows it.
  if (embedded && window.IntersectionObserver) {
    new IntersectionObserver(function (entries) {
      var entry = entries[entries.length - 1];
      if (state.initialised) setVisible(entry.isIntersecting);
    }).observe(document.body);
  }

  window.addEventListener("message", function (event) {
    if (event.source !== window.parent || event.origin !== cfg.parent_origin) return;
    var data = event.data || {};
    if (data.type === "baton:init" && !state.initialised) {
      state.initialised = true;
      state.visible = true;
      openSession(typeof data.token === "string" ? data.token : null, data.page || {});
    } else if (data.type === "baton:focus") {
      setVisible(true);
      if (!input.disabled) input.focus();
      else if (!restartBox.hidden) restartButton.focus();
    }
  });

  if (!embedded) openSession(null, { url: window.location.href });
})();
