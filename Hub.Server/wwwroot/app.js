// The Hub demo page: one @microsoft/signalr connection to /hub on the node that served the page.
// Query options: user=<name> (connects at once), protocol=json|messagepack,
// transport=websockets|sse|longpolling (default: the client's own negotiation).
// window.hubDemo is a plain view of the page's state, for people poking around and for the browser tests.
"use strict";

(() => {
  const $ = id => document.getElementById(id);
  const query = new URLSearchParams(location.search);
  const transports = {
    websockets: signalR.HttpTransportType.WebSockets,
    sse: signalR.HttpTransportType.ServerSentEvents,
    longpolling: signalR.HttpTransportType.LongPolling,
  };

  const demo = window.hubDemo = {
    state: "disconnected",
    node: null,
    connectionId: null,
    protocol: null,
    transport: query.get("transport") || "auto",
    groups: [],
    // group name -> the last PresenceSnapshot; "" is the whole hub.
    presence: {},
    messages: [],
    errors: [],
    // Streams whose messages were lost across a reconnect (history could not cover the gap).
    lost: [],
    // Who is typing where the page sends to (the "typing" event, beside chat messages).
    typing: [],
  };

  let connection = null;
  let recovery = null; // hub-recovery.js: re-joins groups and resumes streams after a reconnect
  const joined = new Set();

  // The badge may say more than the state (how a retry is coming along); data-state is the state alone.
  function setState(state, text = state) {
    demo.state = state;
    const badge = $("state");
    badge.textContent = text;
    badge.dataset.state = state;
    const online = state === "connected" || state === "reconnected";
    $("connect").disabled = state !== "disconnected";
    $("disconnect").disabled = state === "disconnected";
    $("join").disabled = !online;
    $("send").disabled = !online;
    $("user").disabled = $("protocol").disabled = state !== "disconnected";
  }

  function showError(error) {
    const text = error instanceof Error ? error.message : String(error);
    demo.errors.push(text);
    const line = $("error");
    line.textContent = text;
    line.hidden = false;
  }

  function clearError() {
    $("error").hidden = true;
  }

  // Exponential backoff with jitter, capped at 30 s: up to 0.5 s before the first retry of a lost
  // connection, then about 1 s, 2 s, 4 s, … The jitter keeps the pages of a node that died from all
  // coming back to the others in the same instant, the first retry's too.
  function backoff(retry) {
    return retry === 0 ? Math.random() * 500 : Math.min(30000, 500 * 2 ** retry) * (0.8 + Math.random() * 0.4);
  }

  // Unlike the client's default (four tries, then give up), a demo left open keeps coming back.
  const retryForever = {
    nextRetryDelayInMilliseconds: context => backoff(context.previousRetryCount),
  };

  async function showNode() {
    try {
      const response = await fetch("node", { cache: "no-store" });
      demo.node = (await response.json()).node;
    } catch (error) {
      demo.node = null;
      showError(`Could not ask which node this is: ${error.message}`);
    }
    $("node").textContent = demo.node ?? "?";
  }

  function streamLabel(stream) {
    if (stream === "all") return "everyone";
    if (stream.startsWith("group:")) return `#${stream.slice("group:".length)}`;
    if (stream.startsWith("user:")) return "to you";
    return "to this tab";
  }

  function append(item) {
    const list = $("messages");
    const stick = list.scrollTop + list.clientHeight >= list.scrollHeight - 8;
    list.append(item);
    if (stick) list.scrollTop = list.scrollHeight;
  }

  function span(className, text) {
    const element = document.createElement("span");
    element.className = className;
    element.textContent = text;
    return element;
  }

  // What a message shows: its text, or its data as JSON (a BigInt, which JSON.stringify refuses, as digits).
  function dataText(message) {
    return message.text ?? JSON.stringify(message.data, (key, value) => typeof value === "bigint" ? value.toString() : value);
  }

  // User text only ever goes through textContent: a message cannot inject markup.
  // Chat messages are the "message" event; "typing" has its own handler (showTyping), and an event
  // this page does not know is shown as its data.
  function receive(message) {
    if (message.event === TYPING) return;
    // MessagePack delivers sentAt as a Date, JSON as an ISO 8601 string.
    const sentAt = message.sentAt instanceof Date ? message.sentAt : new Date(message.sentAt);
    demo.messages.push({
      id: message.id,
      stream: message.stream,
      offset: Number(message.offset),
      from: message.from,
      user: message.user ?? null,
      event: message.event,
      text: dataText(message),
      sentAtIsDate: message.sentAt instanceof Date,
    });

    const item = document.createElement("li");
    item.className = message.from === demo.connectionId ? "message mine" : "message";
    item.dataset.id = message.id;
    item.dataset.stream = message.stream;
    item.dataset.user = message.user ?? "";
    item.append(
      span("time", sentAt.toLocaleTimeString()),
      span("stream", message.event === "message" ? streamLabel(message.stream) : `${streamLabel(message.stream)} · ${message.event}`),
      span("user", message.user ?? "anonymous"),
      span("text", dataText(message)));
    append(item);
  }

  // The typing indicator: while someone types, their page publishes { typing: true } as the event
  // "typing" to where it sends (at most every TYPING_REPEAT_MS), and { typing: false } when the
  // message goes or the input empties. A page counts a typer as gone after TYPING_SHOWN_MS without
  // news, so a closed tab does not type forever.
  const TYPING = "typing";
  const TYPING_REPEAT_MS = 2000;
  const TYPING_SHOWN_MS = 5000;
  const typers = new Map(); // stream -> Map(name -> time to forget them)
  let typingSent = { stream: null, at: 0 };

  function streamOf(group) {
    return group === "" ? "all" : `group:${group}`;
  }

  function showTyping(data, message) {
    if (message.from === demo.connectionId) return;
    const name = message.user ?? "someone";
    const names = typers.get(message.stream) ?? new Map();
    typers.set(message.stream, names);
    if (data && data.typing === true) names.set(name, Date.now() + TYPING_SHOWN_MS);
    else names.delete(name);
    renderTyping();
  }

  function renderTyping() {
    const now = Date.now();
    const names = typers.get(streamOf(selectedGroup())) ?? new Map();
    for (const [name, until] of names) {
      if (until <= now) names.delete(name);
    }
    demo.typing = [...names.keys()].sort();
    const count = demo.typing.length;
    $("typing").textContent = count === 0 ? ""
      : count === 1 ? `${demo.typing[0]} is typing…`
      : `${demo.typing.slice(0, -1).join(", ")} and ${demo.typing[count - 1]} are typing…`;
  }
  setInterval(renderTyping, 1000);

  // Fire and forget: a typing event that fails to go is no error worth showing.
  function publishTyping(typing) {
    if (!recovery || !connection || connection.state !== signalR.HubConnectionState.Connected) return;
    const stream = streamOf(selectedGroup());
    const now = Date.now();
    if (typing && typingSent.stream === stream && now - typingSent.at < TYPING_REPEAT_MS) return;
    if (!typing && typingSent.stream === null) return;
    typingSent = typing ? { stream, at: now } : { stream: null, at: 0 };
    recovery.publish(stream, TYPING, { typing }).catch(() => {});
  }

  function note(text) {
    const item = document.createElement("li");
    item.className = "event";
    item.textContent = text;
    append(item);
  }

  function selectedGroup() {
    return $("target").value;
  }

  function renderGroups() {
    demo.groups = [...joined];
    const list = $("groups");
    const target = $("target");
    const selected = target.value;
    list.replaceChildren();
    target.replaceChildren(new Option("Everyone", ""));
    for (const group of joined) {
      const item = document.createElement("li");
      item.dataset.group = group;
      const leave = document.createElement("button");
      leave.type = "button";
      leave.className = "leave";
      leave.textContent = "Leave";
      leave.addEventListener("click", () => leaveGroup(group));
      item.append(span("name", `#${group}`), leave);
      list.append(item);
      target.append(new Option(`#${group}`, group));
    }
    target.value = joined.has(selected) ? selected : "";
  }

  // One hub call; a failure (the HubException's message, a lost connection) is shown, not thrown.
  function call(method, ...args) {
    return attempt(() => connection.invoke(method, ...args));
  }

  async function attempt(action) {
    try {
      return { ok: true, value: await action() };
    } catch (error) {
      showError(error);
      return { ok: false };
    }
  }

  // Presence is asked again on every change instead of patched from the events: a user may hold
  // several connections in a group, and only the snapshot knows whether one leaving removes them.
  async function refreshPresence(group) {
    if (!connection || (group !== "" && !joined.has(group))) return;
    const snapshot = await call("GetPresence", group || null);
    if (!snapshot.ok) return;
    demo.presence[group] = snapshot.value;
    const { users, userCount } = snapshot.value;
    if (group !== "" && !members.has(group) && users.length === Number(userCount)) members.set(group, new Set(users));
    if (group === selectedGroup()) renderPresence();
  }

  // MemberJoined and MemberLeft are per connection, and a user may hold several: two tabs, or a
  // new connection after a reconnect while presence still holds the old one until its node is
  // counted dead. So the page keeps, for each of its groups, the users it counts as present: taken
  // from its first snapshot there, then changed by the events one at a time, in the order they
  // came. A user joins when they were not counted, and leaves when the snapshot taken after their
  // MemberLeft no longer lists them. (Snapshots alone would not do: one taken for an event may
  // already show the events after it.)
  const members = new Map(); // group -> Set of user ids
  let memberChanges = Promise.resolve();

  function memberChanged(event, change) {
    memberChanges = memberChanges.then(async () => {
      const { group, user } = event;
      const counted = members.get(group);
      await refreshPresence(group);
      if (user == null) {
        // Anonymous connections are no one's: each is its own "someone".
        note(`someone ${change} #${group}`);
      } else if (!counted) {
        // Nothing to compare with: this refresh took the group's first snapshot.
      } else if (change === "joined" && !counted.has(user)) {
        counted.add(user);
        note(`${user} joined #${group}`);
      } else if (change === "left" && counted.has(user) && isListed(demo.presence[group], user) === false) {
        counted.delete(user);
        note(`${user} left #${group}`);
      }
    }).catch(showError); // one failed event must not stop the ones after it
  }

  // Undefined when the snapshot cannot tell: none yet, or a user list capped short of the users.
  function isListed(snapshot, user) {
    if (!snapshot) return undefined;
    if (snapshot.users.includes(user)) return true;
    return snapshot.users.length < Number(snapshot.userCount) ? undefined : false;
  }

  function renderPresence() {
    const group = selectedGroup();
    const snapshot = demo.presence[group];
    $("presence-group").textContent = group === "" ? "the hub" : `#${group}`;
    const list = $("presence");
    list.replaceChildren();
    if (!snapshot) {
      $("presence-summary").textContent = "";
      return;
    }
    const connections = Number(snapshot.connections);
    $("presence-summary").textContent =
      `${connections} connection${connections === 1 ? "" : "s"}, ${snapshot.userCount} named user${snapshot.userCount === 1 ? "" : "s"}`;
    for (const user of [...snapshot.users].sort()) {
      const item = document.createElement("li");
      item.dataset.user = user;
      item.textContent = user;
      list.append(item);
    }
  }

  async function connect() {
    clearError();
    const user = $("user").value.trim();
    const protocol = $("protocol").value;
    const transportName = query.get("transport");
    if (transportName && !(transportName in transports)) {
      showError(`Unknown transport '${transportName}': use websockets, sse or longpolling.`);
      return;
    }

    // The choice goes into the address, so a reload comes back as the same user.
    const address = new URLSearchParams(location.search);
    if (user) address.set("user", user);
    else address.delete("user");
    address.set("protocol", protocol);
    history.replaceState(null, "", `?${address}`);

    let builder = new signalR.HubConnectionBuilder()
      .withUrl(user ? `hub?user=${encodeURIComponent(user)}` : "hub",
        transportName ? { transport: transports[transportName] } : {})
      .withAutomaticReconnect(retryForever)
      .configureLogging(signalR.LogLevel.Warning);
    if (protocol === "messagepack") {
      builder = builder.withHubProtocol(new signalR.protocols.msgpack.MessagePackHubProtocol());
    }
    connection = builder.build();
    // Messages come through the recovery helper: each once, in stream order, across reconnects.
    recovery = HubRecovery.attach(connection, {
      onMessage: receive,
      onMessagesLost: streams => {
        demo.lost.push(...streams);
        note(`Messages were lost while disconnected on: ${streams.join(", ")}`);
      },
    });
    recovery.on(TYPING, showTyping);
    connection.on("MemberJoined", event => memberChanged(event, "joined"));
    connection.on("MemberLeft", event => memberChanged(event, "left"));
    connection.onreconnecting(() => {
      // Events go by unseen until the page is back: its groups' counts start again from snapshots.
      members.clear();
      setState("reconnecting");
    });
    connection.onreconnected(async connectionId => {
      // A reconnect is a new connection, possibly on another node. The recovery helper re-joins
      // its groups and replays what was missed (its handler runs first, and the node answers one
      // connection's calls in order); like "connected", "reconnected" is shown once the page is
      // back where it was.
      demo.connectionId = connectionId;
      await refreshPresence(selectedGroup());
      await showNode();
      setState("reconnected");
    });
    connection.onclose(error => {
      setState("disconnected");
      demo.connectionId = null;
      if (error) showError(error);
    });

    demo.protocol = protocol;
    setState("connecting");
    if (!(await startWithRetries(connection))) {
      // Disconnect pressed before a try succeeded: there may have been no connection to close.
      if (!connection) setState("disconnected");
      return;
    }
    demo.connectionId = connection.connectionId;
    // The first call returns only once the node has registered the connection cluster-wide, so
    // "connected" means that messages sent to this page from now on reach it.
    await refreshPresence(selectedGroup());
    await showNode();
    setState("connected");
  }

  // The client's automatic reconnect covers only a connection that was up once: a first connect
  // that fails (the node is down or restarting) is tried again here, with the same backoff, until
  // it succeeds or Disconnect is pressed. False when the page is not to go on as connected.
  async function startWithRetries(built) {
    for (let retry = 1; ; retry++) {
      try {
        await recovery.start();
        clearError(); // what the failed tries said
        return true;
      } catch (error) {
        if (connection !== built) return false;
        showError(error);
        // The connection came up and then failed its first call: it reconnects by itself now
        // (or is up), and its own handlers tell the state from here.
        if (built.state !== signalR.HubConnectionState.Disconnected) {
          return built.state === signalR.HubConnectionState.Connected;
        }
        if (!(await waitToRetry(retry, built))) return false;
      }
    }
  }

  // Counts down to the next try on the state line; false if Disconnect was pressed meanwhile.
  function waitToRetry(retry, built) {
    const due = Date.now() + backoff(retry);
    return new Promise(resolve => {
      const tick = () => {
        const left = due - Date.now();
        if (connection !== built || left <= 0) {
          clearInterval(timer);
          resolve(connection === built);
          return;
        }
        setState("connecting", `connecting (retry ${retry} in ${Math.ceil(left / 1000)} s)`);
      };
      const timer = setInterval(tick, 250);
      tick();
    });
  }

  async function disconnect() {
    const closing = connection;
    connection = null;
    joined.clear();
    members.clear();
    demo.presence = {};
    renderGroups();
    renderPresence();
    await closing?.stop();
  }

  async function joinGroup(group) {
    clearError();
    if (!(await attempt(() => recovery.join(group))).ok) return;
    joined.add(group);
    renderGroups();
    $("target").value = group;
    renderPresence();
    await refreshPresence(group);
  }

  async function leaveGroup(group) {
    clearError();
    if (!(await attempt(() => recovery.leave(group))).ok) return;
    joined.delete(group);
    members.delete(group);
    delete demo.presence[group];
    renderGroups();
    renderPresence();
    await refreshPresence(selectedGroup());
  }

  async function send(text) {
    clearError();
    publishTyping(false);
    const group = selectedGroup();
    const sent = group === "" ? await call("Send", text) : await call("SendToGroup", group, text);
    return sent.ok;
  }

  $("connect-form").addEventListener("submit", event => {
    event.preventDefault();
    connect();
  });
  $("disconnect").addEventListener("click", () => disconnect());
  $("join-form").addEventListener("submit", event => {
    event.preventDefault();
    const group = $("group").value.trim();
    if (group) joinGroup(group).then(() => { $("group").value = ""; });
  });
  $("send-form").addEventListener("submit", async event => {
    event.preventDefault();
    const input = $("text");
    if (await send(input.value)) input.value = "";
    input.focus();
  });
  $("text").addEventListener("input", event => publishTyping(event.target.value !== ""));
  $("target").addEventListener("change", () => {
    publishTyping(false);
    renderTyping();
    renderPresence();
    refreshPresence(selectedGroup());
  });

  $("user").value = query.get("user") ?? "";
  if (query.get("protocol") === "messagepack") $("protocol").value = "messagepack";
  setState("disconnected");
  renderPresence();
  if (query.has("user")) connect();
})();
