/* The chat inside Baton's widget iframe. Everything a person typed is shown with textContent. */
(function () {
  "use strict";
  var cfg = JSON.parse(document.body.getAttribute("data-config"));
  function $(id) { return document.getElementById(id); }
  var messages = $("messages"), choices = $("choices"), input = $("answer"), form = $("composer");
  var sendButton = $("send"), typing = $("typing"), statusLine = $("status");
  var restartBox = $("restart-box"), restartButton = $("restart");
  var embedded = window.parent !== window;
  var state = {
    token: null, prompt: null, queue: [], busy: false, started: false, initialised: false,
    consentShown: false, restarting: false
  };

  document.documentElement.style.setProperty("--accent", cfg.theme.color);
  document.documentElement.style.setProperty("--on-accent", cfg.theme.text_color);

  function tell(type, extra) {
    if (!embedded) return;
    var message = { type: type };
    Object.keys(extra || {}).forEach(function (k) { message[k] = extra[k]; });
    window.parent.postMessage(message, cfg.parent_origin);
  }

  function scrollDown() { messages.scrollTop = messages.scrollHeight; }

  function bubble(kind, text) {
    var div = document.createElement("div");
    div.className = "bubble " + kind;
    div.textContent = text;
    messages.appendChild(div);
    scrollDown();
    return div;
  }

  function note(text, kind) {
    var div = document.createElement("div");
    div.className = "note" + (kind ? " " + kind : "");
    div.textContent = text;
    messages.appendChild(div);
    scrollDown();
    return div;
  }

  function consentBefore(expects) {
    if (expects === "email" && cfg.consent_text && !state.consentShown) {
      note(cfg.consent_text, "consent");
      state.consentShown = true;
    }
  }

  function showStatus(text) {
    statusLine.textContent = text;
    statusLine.hidden = !text;
  }

  function newTurnId() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }

  function setInputHints(expects) {
    input.type = expects === "email" ? "email" : "text";
    input.setAttribute("inputmode", expects === "email" ? "email" : expects === "number" ? "numeric" : "text");
    input.setAttribute("autocomplete", expects === "email" ? "email" : "off");
    input.placeholder = expects === "email" ? "name@company.com" : "Type your answer…";
  }

  /* `canRestart`: the chat ended and the server lets this visitor start a new one. */
  function renderPrompt(prompt, asNewMessage, canRestart) {
    state.prompt = prompt;
    if (asNewMessage) {
      prompt.notices.forEach(function (text) { note(text); });
      consentBefore(prompt.expects);
      bubble("bot", prompt.text);
    }
    var answered = prompt.progress[0], total = prompt.progress[1];
    var percent = prompt.done ? 100 : total ? Math.round((100 * answered) / total) : 0;
    $("progress-bar").style.width = percent + "%";
    $("progress").setAttribute("aria-valuenow", String(percent));
    choices.textContent = "";
    if (!prompt.done) {
      prompt.choices.forEach(function (choice) {
        var button = document.createElement("button");
        button.type = "button";
        button.textContent = choice.label;
        button.addEventListener("click", function () { send(choice.label); });
        choices.appendChild(button);
      });
    }
    setInputHints(prompt.expects);
    input.disabled = sendButton.disabled = prompt.done;
    restartBox.hidden = !(prompt.done && canRestart);
    scrollDown(); // the quick replies above the input may have shrunk the message list
    if (prompt.done) {
      var previous = $("ended-note");
      if (previous) previous.removeAttribute("id");
      note("This chat has ended. Thank you!", "ended").id = "ended-note";
      (restartBox.hidden ? $("close") : restartButton).focus();
    } else {
      input.focus();
    }
  }

  /* POST with automatic retry and backoff; resolves with {status, data} for any answer that
   * should not be retried. The same body (and so the same turn id) is sent on every attempt. */
  function request(url, body) {
    var attempt = 0;
    return new Promise(function (resolve) {
      function retryLater(wait, why) {
        attempt += 1;
        var delay = Math.min(30, Math.max(wait || 0, Math.pow(2, Math.min(attempt - 1, 5))));
        showStatus(why + " retrying in " + delay + " s. Your message is kept and will be sent.");
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
            retryLater(parseInt(response.headers.get("Retry-After") || "0", 10), "Too many messages at once —");
            return;
          }
          if (response.status >= 500) {
            retryLater(0, "Can't reach the server —");
            return;
          }
          return response.json().then(function (data) {
            showStatus("");
            resolve({ status: response.status, data: data });
          });
        }).catch(function () { retryLater(0, "Can't reach the server —"); });
      }
      go();
    });
  }

  /* Show a conversation as the server has it (session and restart answers). */
  function showChat(data) {
    state.token = data.token;
    tell("baton:token", { token: data.token });
    messages.textContent = "";
    state.consentShown = false;
    data.history.forEach(function (item) {
      if (item.direction === "in") {
        bubble("visitor", item.text);
      } else {
        item.notices.forEach(function (text) { note(text); });
        consentBefore(item.expects);
        bubble("bot", item.text);
      }
    });
    state.queue.forEach(function (item) { messages.appendChild(item.bubble); });
    renderPrompt(data.prompt, false, data.can_restart);
    state.started = true;
    pump();
  }

  function openSession(token, page) {
    state.started = false;
    request(cfg.session_url, { token: token, page: page || {}, host_origin: cfg.parent_origin })
      .then(function (result) {
        if (result.status !== 200) {
          note((result.data && result.data.detail) || "The chat is not available right now.");
          return;
        }
        showChat(result.data);
      });
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
        tell("baton:forget");
        restartBox.hidden = true;
        note("Your chat session was not recognised, so a new one has started.");
        openSession(null, null);
      } else {
        restartBox.hidden = true;
        note(data.detail || "A new conversation could not be started.");
        $("close").focus();
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
    typing.hidden = false;
    request(cfg.turn_url, {
      token: state.token,
      turn_id: item.turnId,
      text: item.text,
      expected_version: state.prompt.version
    }).then(function (result) {
      state.busy = false;
      typing.hidden = true;
      state.queue.shift();
      item.bubble.classList.remove("pending");
      var data = result.data || {};
      if (result.status === 200) {
        renderPrompt(data.prompt, true, data.can_restart);
      } else if (result.status === 409) {
        // Another tab or click answered first: show the conversation as the server has it.
        item.bubble.remove();
        keepText(item.text);
        openSession(state.token, null);
        return;
      } else if (result.status === 403) {
        item.bubble.remove();
        keepText(item.text);
        tell("baton:forget");
        note("Your chat session was not recognised, so a new one has started.");
        openSession(null, null);
        return;
      } else {
        item.bubble.remove();
        keepText(item.text);
        note(data.detail || "That message could not be sent.");
      }
      pump();
    });
  }

  function send(text) {
    text = (text || "").trim();
    if (!text || (state.prompt && state.prompt.done)) return;
    var item = { turnId: newTurnId(), text: text, bubble: bubble("visitor pending", text) };
    state.queue.push(item);
    choices.textContent = "";
    pump();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    input.value = "";
    send(text);
    input.focus();
  });
  $("close").addEventListener("click", function () { tell("baton:close"); });
  restartButton.addEventListener("click", restartChat);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") tell("baton:close");
  });

  window.addEventListener("message", function (event) {
    if (event.source !== window.parent || event.origin !== cfg.parent_origin) return;
    var data = event.data || {};
    if (data.type === "baton:init" && !state.initialised) {
      state.initialised = true;
      openSession(typeof data.token === "string" ? data.token : null, data.page || {});
    } else if (data.type === "baton:focus") {
      if (!input.disabled) input.focus();
      else if (!restartBox.hidden) restartButton.focus();
    }
  });

  if (!embedded) openSession(null, { url: window.location.href });
})();
