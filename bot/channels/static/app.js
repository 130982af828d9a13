// stylebot web chat: posts messages to /api/message and renders the replies. No dependencies.
"use strict";

(() => {
  const MAX_PHOTOS = 2;
  const COMMANDS = new Set(["start", "help", "privacy", "prefs", "forget", "export",
                            "keepphotos", "shop", "history", "week"]);
  const maxMb = parseFloat(document.body.dataset.maxUploadMb) || 20;
  // Every text a person sees or hears comes from prompts/<locale>/page.yaml, sent by the server
  // as a JSON data block (not a script: the Content-Security-Policy allows no inline scripts).
  const TEXTS = JSON.parse(document.getElementById("page-texts").textContent);

  const $ = (id) => document.getElementById(id);
  const scroller = $("scroller"), thread = $("thread"), form = $("composer");
  const textBox = $("text"), picker = $("photo"), sendBtn = $("send"), previews = $("previews");
  const dropzone = $("dropzone"), lightbox = $("lightbox"), toastBox = $("toast");

  const narrow = window.matchMedia("(max-width: 640px)");
  let pending = [];  // photos chosen but not sent yet: {file, url}
  let busy = false;
  let target = thread;  // where new messages go (the history is built aside, then put in place)

  // The text `key` with its {name} placeholders filled from `values`.
  function t(key, values = {}) {
    if (!(key in TEXTS)) console.error("missing-page-text", key);
    return String(TEXTS[key] ?? key).replace(/\{(\w+)\}/g,
      (all, name) => (name in values ? String(values[name]) : all));
  }

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function scrollDown() {
    requestAnimationFrame(() => { scroller.scrollTop = scroller.scrollHeight; });
  }

  let toastTimer;
  function toast(message) {
    toastBox.textContent = message;
    toastBox.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { toastBox.hidden = true; }, 4000);
  }

  // ---- rendering ------------------------------------------------------------------------
  function message(side, extraClass) {
    const row = el("div", ["msg", side, extraClass].filter(Boolean).join(" "));
    if (side === "bot") {
      const avatar = el("div", "avatar", t("avatar"));
      avatar.setAttribute("aria-hidden", "true");
      row.append(avatar);
    }
    const body = el("div", "body");
    row.append(body);
    target.append(row);
    return body;
  }

  // Text with its line breaks kept and known /commands made clickable.
  function richText(text) {
    const p = el("p", "text");
    for (const piece of text.split(/(\/[a-z]+)\b/)) {
      const name = piece.startsWith("/") ? piece.slice(1) : "";
      if (COMMANDS.has(name)) {
        const cmd = el("button", "cmd", piece);
        cmd.type = "button";
        cmd.title = t("command_title", { command: piece });
        cmd.addEventListener("click", () => send({ text: piece }));
        p.append(cmd);
      } else if (piece) {
        p.append(document.createTextNode(piece));
      }
    }
    return p;
  }

  function openLightbox(url, caption) {
    $("lightbox-img").src = url;
    $("lightbox-img").alt = caption || t("image_alt");
    $("lightbox-caption").textContent = caption || "";
    if (typeof lightbox.showModal === "function") lightbox.showModal();
    else window.open(url, "_blank", "noopener");
  }

  function gallery(images) {
    const box = el("div", "gallery");
    for (const image of images) {
      const fig = el("figure", "figure");
      if (!image.url) {  // from the history, no longer in the server's cache
        fig.append(el("p", "expired", t("image_expired")));
        if (image.caption) fig.append(el("figcaption", "", image.caption));
        box.append(fig);
        continue;
      }
      const open = el("button");
      open.type = "button";
      open.setAttribute("aria-label", t("open_image", { caption: image.caption || t("picture") }));
      const img = el("img", "reply-image");
      img.src = image.url;
      img.alt = image.caption || t("image_alt");
      img.addEventListener("load", scrollDown);
      img.addEventListener("error", () => {
        open.replaceWith(el("p", "expired", t("image_expired")));
      });
      open.append(img);
      open.addEventListener("click", () => openLightbox(image.url, image.caption));
      fig.append(open);
      if (image.caption) fig.append(el("figcaption", "", image.caption));
      box.append(fig);
    }
    return box;
  }

  // Buttons of one kind ("pick:7:a" / "pick:7:b", "keep:yes" / "keep:no") are one question:
  // answering it disables them all. Different kinds ("cut:3", "shop:3") stay usable.
  // `pressed`: payloads already pressed (a conversation shown again from the history).
  function actions(rows, pressed = new Set()) {
    const box = el("div", "actions");
    const all = [];
    const asks = rows.flat().filter((b) => !b.url);  // link buttons open a page, nothing more
    const kinds = new Set(asks.map((b) => b.payload.split(":")[0]));
    const answered = kinds.size === 1 && asks.some((b) => pressed.has(b.payload));
    for (const row of rows) {
      const line = el("div", "line");
      for (const b of row) {
        if (b.url) {
          const link = el("a", "reply-btn", b.label);
          link.href = b.url;
          link.target = "_blank";
          link.relList.add("noopener", "noreferrer");
          line.append(link);
          continue;
        }
        const btn = el("button", "reply-btn", b.label);
        btn.type = "button";
        btn.addEventListener("click", () => {
          if (busy) return;
          if (kinds.size === 1) all.forEach((other) => { other.disabled = true; });
          btn.disabled = true;
          btn.classList.add("chosen");
          send({ callback: b.payload, label: b.label });
        });
        if (pressed.has(b.payload)) { btn.disabled = true; btn.classList.add("chosen"); }
        if (answered) btn.disabled = true;
        all.push(btn);
        line.append(btn);
      }
      box.append(line);
    }
    return box;
  }

  function fileCard(file) {
    if (!file.url) return el("p", "expired", t("file_expired", { name: file.name }));
    const link = el("a", "file-card");
    link.href = file.url;
    link.download = file.name;
    const icon = el("span", "ficon");
    icon.append($("download-icon").content.cloneNode(true));
    const words = el("span");
    words.append(el("div", "fname", file.name), el("div", "fsub", t("download")));
    link.append(icon, words);
    return link;
  }

  function botReply(reply, pressed) {
    const body = message("bot");
    if (reply.text) {
      const bubble = el("div", "bubble");
      bubble.append(richText(reply.text));
      body.append(bubble);
    }
    if (reply.images && reply.images.length) body.append(gallery(reply.images));
    if (reply.file) body.append(fileCard(reply.file));
    if (reply.buttons && reply.buttons.length) body.append(actions(reply.buttons, pressed));
  }

  function botError(text) {
    const body = message("bot", "error");
    const bubble = el("div", "bubble");
    bubble.append(el("p", "text", text));
    body.append(bubble);
  }

  function userMessage(text, photos) {
    const body = message("user");
    if (photos.length) {
      const thumbs = el("div", "thumbs");
      photos.forEach((p, i) => {
        const img = el("img");
        img.src = p.url;
        img.alt = t("your_photo", { n: i + 1 });
        img.addEventListener("load", scrollDown);
        thumbs.append(img);
      });
      body.append(thumbs);
    }
    if (text) {
      const bubble = el("div", "bubble");
      bubble.append(el("p", "text", text));
      body.append(bubble);
    }
  }

  function thinking() {
    const body = message("bot", "thinking");
    const bubble = el("div", "bubble");
    const dots = el("span", "dots");
    dots.setAttribute("aria-hidden", "true");
    dots.append(el("i"), el("i"), el("i"));
    bubble.append(dots, el("span", "", t("thinking")));
    body.append(bubble);
    return body.parentElement;
  }

  // ---- the conversation so far (kept by the server, so a reload shows it again) -----------
  function historyUser(m) {
    const body = message("user");
    const lines = [];
    if (m.photos) lines.push(t(m.photos === 1 ? "history_photo" : "history_photos", { n: m.photos }));
    if (m.file) lines.push(t("history_file", { what: m.file }));
    if (m.payload !== undefined) lines.push(m.button || t("history_button"));
    if (m.text) lines.push(m.text);
    const bubble = el("div", "bubble");
    lines.forEach((line) => bubble.append(el("p", "text", line)));
    body.append(bubble);
  }

  // Shown right after the greeting, before anything sent while it was loading.
  async function loadHistory() {
    let messages;
    try {
      const response = await fetch("/api/history", { credentials: "same-origin" });
      if (!response.ok) return;
      messages = (await response.json()).messages || [];
    } catch (err) {
      return;  // no history to show (the server is not reachable yet): the chat still works
    }
    const pressed = new Set(messages.filter((m) => m.payload).map((m) => m.payload));
    const earlier = document.createDocumentFragment();
    target = earlier;
    try {
      for (const m of messages) {
        if (m.role === "bot") botReply(m, pressed);
        else historyUser(m);
      }
    } finally {
      target = thread;
    }
    thread.querySelector(".welcome").after(earlier);
    if (messages.length) scrollDown();
  }

  // ---- sending --------------------------------------------------------------------------
  function setBusy(value) {
    busy = value;
    sendBtn.disabled = value;
    document.querySelectorAll("[data-command], [data-pick-photo]").forEach((b) => {
      b.disabled = value;
    });
  }

  async function send({ text = "", photos = [], callback = null, label = "" }) {
    if (busy) return false;
    if (!text && !photos.length && !callback) return false;
    setBusy(true);
    userMessage(callback ? label : text, photos);
    const wait = thinking();
    scrollDown();
    const data = new FormData();
    if (text) data.append("text", text);
    if (callback) data.append("callback", callback);
    photos.forEach((p) => data.append("photo", p.file, p.file.name || "photo.jpg"));
    try {
      const response = await fetch("/api/message", {
        method: "POST", body: data, credentials: "same-origin",
      });
      const payload = await response.json().catch(() => ({}));
      wait.remove();
      if (!response.ok) {
        botError(payload.message || t("error_generic"));
      } else {
        (payload.replies || []).forEach((reply) => botReply(reply));
      }
    } catch (err) {
      wait.remove();
      botError(t("error_offline"));
    } finally {
      setBusy(false);
      scrollDown();
      textBox.focus();
    }
    return true;
  }

  // ---- composer -------------------------------------------------------------------------
  function renderPreviews() {
    previews.replaceChildren();
    previews.hidden = pending.length === 0;
    pending.forEach((p, i) => {
      const box = el("div", "preview");
      const img = el("img");
      img.src = p.url;
      img.alt = t("preview_alt", { n: i + 1 });
      const remove = el("button", "remove", "×");
      remove.type = "button";
      remove.setAttribute("aria-label", t("remove_photo", { n: i + 1 }));
      remove.addEventListener("click", () => {
        URL.revokeObjectURL(p.url);
        pending.splice(i, 1);
        renderPreviews();
      });
      box.append(img);
      if (pending.length > 1) {
        box.append(el("span", "tag", t(i === 0 ? "tag_first" : "tag_second")));
      }
      box.append(remove);
      previews.append(box);
    });
    textBox.placeholder = t(pending.length === 2 ? "placeholder_two_photos"
      : pending.length === 1 ? "placeholder_one_photo"
      : narrow.matches ? "placeholder_narrow" : "placeholder");
  }

  function addPhotos(files) {
    const images = Array.from(files).filter((f) => f.type.startsWith("image/"));
    if (images.length < files.length) toast(t("not_photos"));
    for (const file of images) {
      if (pending.length >= MAX_PHOTOS) {
        toast(t("two_photos_max"));
        break;
      }
      pending.push({ file, url: URL.createObjectURL(file) });
    }
    const total = pending.reduce((sum, p) => sum + p.file.size, 0);
    if (total > maxMb * 1024 * 1024) {
      pending.pop();
      toast(t("too_large", { max_mb: maxMb }));
    }
    renderPreviews();
    textBox.focus();
  }

  function autoGrow() {
    textBox.style.height = "auto";
    textBox.style.height = `${Math.min(textBox.scrollHeight, 160)}px`;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = textBox.value.trim();
    const photos = pending;
    if (busy || (!text && !photos.length)) { textBox.focus(); return; }
    textBox.value = "";
    autoGrow();
    pending = [];
    renderPreviews();
    await send({ text, photos });
  });
  textBox.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  textBox.addEventListener("input", autoGrow);
  picker.addEventListener("change", () => { addPhotos(picker.files); picker.value = ""; });
  document.querySelectorAll("[data-command]").forEach((b) => {
    b.addEventListener("click", () => send({ text: b.dataset.command }));
  });
  $("attach").addEventListener("click", () => picker.click());
  document.querySelectorAll("[data-pick-photo]").forEach((b) => {
    b.addEventListener("click", () => picker.click());
  });
  textBox.addEventListener("paste", (event) => {
    const files = Array.from(event.clipboardData?.files || []);
    if (files.length) { event.preventDefault(); addPhotos(files); }
  });

  // ---- drag and drop --------------------------------------------------------------------
  let dragDepth = 0;
  const hasFiles = (event) => Array.from(event.dataTransfer?.types || []).includes("Files");
  window.addEventListener("dragenter", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    dragDepth += 1;
    dropzone.hidden = false;
  });
  window.addEventListener("dragover", (event) => { if (hasFiles(event)) event.preventDefault(); });
  window.addEventListener("dragleave", () => {
    dragDepth = Math.max(0, dragDepth - 1);
    if (!dragDepth) dropzone.hidden = true;
  });
  window.addEventListener("drop", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    dragDepth = 0;
    dropzone.hidden = true;
    addPhotos(event.dataTransfer.files);
  });

  lightbox.addEventListener("click", (event) => { if (event.target === lightbox) lightbox.close(); });
  narrow.addEventListener("change", renderPreviews);
  renderPreviews();
  textBox.focus();
  loadHistory();
})();
