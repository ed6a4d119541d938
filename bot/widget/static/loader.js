/* Baton chat widget loader. Embed with:
 * <script src="https://BATON_HOST/widget.js" data-baton-widget="WIDGET_ID" async></script>
 * It adds a launcher button and a chat iframe served by Baton; nothing global is replaced. */
(function () {
  "use strict";
  var VERSION = "__BATON_LOADER_VERSION__";
  var script = document.currentScript;
  if (!script || !script.src) return;
  var widgetId = script.getAttribute("data-baton-widget");
  var ns = (window.BatonWidget = window.BatonWidget || { version: VERSION, widgets: {} });
  if (!widgetId) {
    console.warn("Baton widget: the script tag needs a data-baton-widget attribute");
    return;
  }
  if (ns.widgets[widgetId]) return; // the same widget embedded twice
  var base = new URL(script.src, window.location.href).origin;
  var key = "baton:" + widgetId + ":";
  var state = { frame: null, panel: null, launcher: null, open: false };
  ns.widgets[widgetId] = {
    open: function () { setOpen(true); },
    close: function () { setOpen(false); }
  };

  function store(name, value) {
    try {
      if (value === null) window.localStorage.removeItem(key + name);
      else window.localStorage.setItem(key + name, value);
    } catch (e) { /* storage disabled: the chat still works for this page view */ }
  }
  function read(name) {
    try { return window.localStorage.getItem(key + name); } catch (e) { return null; }
  }

  function pageContext() {
    var context = { url: window.location.href, referrer: document.referrer, title: document.title };
    var params = new URL(window.location.href).searchParams;
    ["utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term"].forEach(function (k) {
      var v = params.get(k);
      if (v) context[k] = v;
    });
    return context;
  }

  function css(el, styles) {
    Object.keys(styles).forEach(function (k) { el.style.setProperty(k, styles[k]); });
  }

  function build(config) {
    var theme = config.theme;
    var side = theme.position === "bottom-left" ? "left" : "right";
    var container = document.createElement("div");
    container.setAttribute("data-baton-widget-container", widgetId);
    var styles = { position: "fixed", bottom: theme.offset_y + "px", "z-index": String(theme.z_index) };
    styles[side] = theme.offset_x + "px";
    css(container, styles);
    // A shadow root keeps the host page's selectors off the launcher and panel.
    var root = container.attachShadow ? container.attachShadow({ mode: "open" }) : container;

    var panel = document.createElement("div");
    var panelStyles = {
      display: "none", position: "absolute", bottom: "72px",
      width: "min(380px, calc(100vw - " + 2 * theme.offset_x + "px))",
      height: "min(600px, calc(100vh - " + (theme.offset_y + 96) + "px))",
      "min-width": "280px", "box-shadow": "0 8px 32px rgba(0,0,0,.25)",
      "border-radius": "12px", overflow: "hidden", background: "#ffffff"
    };
    panelStyles[side] = "0";
    css(panel, panelStyles);
    panel.id = "baton-panel-" + widgetId;

    var launcher = document.createElement("button");
    launcher.type = "button";
    launcher.textContent = "Chat";
    launcher.title = config.greeting || "Chat with us";
    launcher.setAttribute("aria-label", config.greeting || "Open chat");
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-controls", panel.id);
    launcher.setAttribute("data-baton-launcher", widgetId);
    css(launcher, {
      "min-width": "56px", height: "56px", padding: "0 20px", border: "0",
      "border-radius": "28px", background: theme.color, color: theme.text_color,
      font: "600 16px/1 system-ui, sans-serif", cursor: "pointer",
      "box-shadow": "0 4px 16px rgba(0,0,0,.25)"
    });
    launcher.addEventListener("click", function () { setOpen(!state.open); });

    root.appendChild(panel);
    root.appendChild(launcher);
    document.body.appendChild(container);
    state.panel = panel;
    state.launcher = launcher;
    state.frameUrl = config.frame_url;
    if (read("open") === "1") setOpen(true, true);
  }

  function makeFrame() {
    var frame = document.createElement("iframe");
    var src = new URL(state.frameUrl, base);
    src.searchParams.set("origin", window.location.origin);
    frame.src = src.toString();
    frame.title = "Chat";
    frame.setAttribute("data-baton-frame", widgetId);
    css(frame, { width: "100%", height: "100%", border: "0", display: "block" });
    frame.addEventListener("load", function () {
      frame.contentWindow.postMessage(
        { type: "baton:init", version: VERSION, token: read("token"), page: pageContext() },
        base
      );
    });
    state.panel.appendChild(frame);
    state.frame = frame;
  }

  function setOpen(open, quiet) {
    if (!state.panel) return;
    state.open = open;
    if (open && !state.frame) makeFrame();
    state.panel.style.setProperty("display", open ? "block" : "none");
    state.launcher.setAttribute("aria-expanded", open ? "true" : "false");
    state.launcher.textContent = open ? "\u00d7" : "Chat";
    store("open", open ? "1" : null);
    if (open && !quiet && state.frame) {
      state.frame.focus();
      state.frame.contentWindow.postMessage({ type: "baton:focus" }, base);
    }
    if (!open && !quiet) state.launcher.focus();
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== base || !state.frame || event.source !== state.frame.contentWindow) return;
    var data = event.data || {};
    if (data.type === "baton:token" && typeof data.token === "string") store("token", data.token);
    else if (data.type === "baton:forget") store("token", null);
    else if (data.type === "baton:close") setOpen(false);
  });

  fetch(base + "/widget/" + encodeURIComponent(widgetId) + "/config", { credentials: "omit" })
    .then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    })
    .then(function (config) {
      if (document.body) build(config);
      else document.addEventListener("DOMContentLoaded", function () { build(config); });
    })
    .catch(function (err) { console.warn("Baton widget " + widgetId + " unavailable:", err); });
})();
