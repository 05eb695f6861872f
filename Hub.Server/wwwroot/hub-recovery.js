/*
 * hub-recovery.js — lossless reconnects for the official @microsoft/signalr client against Hub.
 *
 * What the .NET HubClient does on its own, for JavaScript: it tracks the last offset seen on
 * every stream, re-joins the groups after a reconnect (to whichever node it lands on), calls
 * Resume so the node replays what was missed, and hands the application each message once, in
 * stream order. A message whose offset jumps past the next one (or whose epoch changed) is a gap,
 * never progress: it and what follows wait while Resume replays the stream from the last
 * message seen, on the same connection. When history could not cover a gap, it says which
 * streams lost messages.
 *
 * Use it in a page after signalr.js (it defines window.HubRecovery), or load it in Node:
 *
 *   const connection = new signalR.HubConnectionBuilder()
 *       .withUrl("/hub?user=alice")
 *       .withAutomaticReconnect({ nextRetryDelayInMilliseconds: c => Math.random() * Math.min(30000, 500 * 2 ** c.previousRetryCount) })
 *       .build();
 *   const hub = HubRecovery.attach(connection, {
 *       onMessage: message => show(message),          // each message once, in stream order
 *       onMessagesLost: streams => reload(streams),   // messages of these streams are gone
 *   });
 *   await hub.start();              // instead of connection.start()
 *   await hub.join("room");         // instead of connection.invoke("Join", ...): re-joined after reconnects
 *   await hub.leave("room");
 *   await hub.publish("group:room", "typing", { typing: true });   // an event and any JSON value as data
 *   const off = hub.on("typing", (data, message) => showTyping(message.user, data.typing));
 *   await connection.invoke("SendToGroup", "room", "hi");   // everything else as usual
 *
 * Every message carries an event name and its data (any JSON value, the same over JSON and
 * MessagePack); message.text is the data when it is a string. hub.on(event, handler) hands the
 * handler each message of that event, in the same order as onMessage, after it; call what it
 * returns to stop.
 *
 * Do not register your own "Receive" handler: onMessage replaces it (it would see duplicates
 * and replayed messages out of order). Reconnects need withAutomaticReconnect.
 */
(function (root) {
  "use strict";

  // How long to wait, after Resume returned, for the last replayed message to reach the handler.
  const REPLAY_WAIT_MS = 10000;

  function attach(connection, options) {
    const onMessage = (options && options.onMessage) || function () {};
    const onMessagesLost = (options && options.onMessagesLost) || function () {};
    const positions = new Map(); // stream -> { epoch, offset }: the last message seen
    const groups = new Set();
    const gaps = new Set(); // streams whose live delivery skipped messages, to resume
    let held = null; // messages received while a resume runs, or after a gap
    let awaited = null; // stream -> { epoch, offset } still to arrive from the replay
    let caughtUp = null;
    // One resume at a time (first connect, reconnect, gap): each hands over what was held.
    let resuming = Promise.resolve();

    function serially(step) {
      const run = resuming.then(step);
      resuming = run.catch(function (error) {
        console.warn("hub-recovery: a resume failed:", error);
      });
      return run;
    }

    // "next" (deliver it), "seen" (a duplicate) or "gap" (messages are missing before it).
    function accept(message) {
      if (!message.offset) {
        return "next"; // history off: nothing to order or de-duplicate by
      }
      const seen = positions.get(message.stream);
      if (seen) {
        if (seen.epoch === message.epoch && message.offset <= seen.offset) {
          return "seen";
        }
        // Nothing seen yet of a stream that was empty: its first message is offset 1, in any epoch.
        const next = message.offset === seen.offset + 1 &&
          (seen.epoch === message.epoch || (seen.epoch === "" && seen.offset === 0));
        if (!next) {
          return "gap";
        }
      }
      positions.set(message.stream, { epoch: message.epoch, offset: message.offset });
      return "next";
    }

    // False when messages are missing before it: the caller holds it for a resume.
    function tryDeliver(message) {
      const arrival = accept(message);
      if (arrival === "next") {
        onMessage(message);
        dispatch(message);
      }
      return arrival !== "gap";
    }

    const handlers = new Map(); // event -> [handler(data, message)]

    function dispatch(message) {
      for (const handler of handlers.get(message.event) || []) {
        try {
          handler(message.data, message);
        } catch (error) {
          // One handler's failure must not keep the message from the others, nor stop delivery.
          console.warn("hub-recovery: a handler of '" + message.event + "' failed:", error);
        }
      }
    }

    function observe(stream, epoch, offset, overwrite) {
      if (overwrite || !positions.has(stream)) {
        positions.set(stream, { epoch: epoch, offset: offset });
      }
    }

    // The connection's own stream starts empty: a missing first message is a gap like any other.
    function observeOwnStream() {
      if (connection.connectionId) {
        observe("connection:" + connection.connectionId, "", 0, true);
      }
    }

    function snapshot(streams) {
      return streams.filter(function (stream) { return positions.has(stream); }).map(function (stream) {
        const seen = positions.get(stream);
        return { stream: stream, epoch: seen.epoch, offset: seen.offset };
      });
    }

    function reaches(message) {
      const end = awaited && awaited.get(message.stream);
      return !!end && message.epoch === end.epoch && message.offset >= end.offset;
    }

    connection.on("Receive", function (message) {
      if (held) {
        held.push(message);
        if (reaches(message)) {
          awaited.delete(message.stream);
          if (awaited.size === 0 && caughtUp) {
            caughtUp();
          }
        }
        return;
      }
      if (!tryDeliver(message)) {
        // An offset jump is a gap, never progress: this message and what follows wait for a resume.
        held = [message];
        resumeGap(message.stream);
      }
    });

    connection.onreconnecting(function () {
      held = held || [];
    });

    function resumeGap(stream) {
      gaps.add(stream);
      const id = connection.connectionId;
      serially(async function () {
        const streams = Array.from(gaps);
        gaps.clear();
        // Once the connection changed, its reconnect resumed every stream and handed over what was held.
        if (streams.length === 0 || !id || id !== connection.connectionId) {
          return;
        }
        await resumeAndRelease(snapshot(streams), id);
      });
    }

    connection.onreconnected(async function () {
      for (const group of groups) {
        try {
          await connection.invoke("Join", group);
        } catch (error) {
          console.warn("hub-recovery: re-joining group '" + group + "' failed:", error);
        }
      }

      await serially(async function () {
        gaps.clear(); // every stream is resumed now
        // A connection stream ends with its connection: nothing to resume there.
        for (const stream of Array.from(positions.keys())) {
          if (stream.startsWith("connection:")) {
            positions.delete(stream);
          }
        }
        const streams = snapshot(Array.from(positions.keys()));
        observeOwnStream();
        await resumeAndRelease(streams, connection.connectionId);
      });
    });

    // Replays what was missed on the streams, hands over what was held meanwhile, takes the
    // positions the resume reported and reports the streams that lost messages. When the
    // connection goes during the resume, everything stays held for the reconnect.
    async function resumeAndRelease(streams, id) {
      let result = null;
      try {
        result = await connection.invoke("Resume", { streams: streams });
      } catch (error) {
        if (id !== connection.connectionId || connection.state !== "Connected") {
          return;
        }
        console.warn("hub-recovery: resuming failed; the messages missed cannot be recovered:", error);
      }
      if (result) {
        await waitForReplay(result);
      }
      // A stream not recovered goes on from whatever comes next: its loss is reported below.
      const lost = result
        ? result.streams.filter(function (s) { return !s.recovered; }).map(function (s) { return s.stream; })
        : streams.map(function (s) { return s.stream; });
      for (const stream of lost) {
        positions.delete(stream);
      }
      // A stream recovered under another epoch (on a Redis Cluster a failover moved it): the new
      // epoch holds what was seen, at the same offsets, so its replayed messages follow on.
      for (const stream of (result ? result.streams : [])) {
        const seen = positions.get(stream.stream);
        if (stream.recovered && seen && seen.epoch !== stream.epoch) {
          positions.set(stream.stream, { epoch: stream.epoch, offset: seen.offset });
        }
      }
      release();
      for (const stream of (result ? result.streams : [])) {
        observe(stream.stream, stream.epoch, stream.offset, false);
      }
      if (lost.length > 0 && streams.length > 0) {
        onMessagesLost(lost);
      }
    }

    function waitForReplay(result) {
      awaited = new Map();
      for (const stream of result.streams) {
        if (stream.missed > 0) {
          awaited.set(stream.stream, stream);
        }
      }
      for (const message of held || []) {
        if (reaches(message)) {
          awaited.delete(message.stream);
        }
      }
      if (awaited.size === 0) {
        return Promise.resolve();
      }
      return new Promise(function (resolve) {
        const timer = setTimeout(function () {
          console.warn("hub-recovery: replayed messages had not all arrived " + REPLAY_WAIT_MS + " ms after the resume.");
          resolve();
        }, REPLAY_WAIT_MS);
        caughtUp = function () {
          clearTimeout(timer);
          resolve();
        };
      });
    }

    // Hands over what was held, each stream's epoch in offset order, keeping the interleaving as it
    // arrived; a gap among them keeps them, from there on, for a resume of that stream.
    function release() {
      const messages = held || [];
      held = null;
      awaited = null;
      caughtUp = null;
      const sorted = new Map();
      const key = function (message) { return message.stream + "\n" + message.epoch; };
      for (const message of messages) {
        if (!sorted.has(key(message))) {
          sorted.set(key(message), []);
        }
        sorted.get(key(message)).push(message);
      }
      for (const list of sorted.values()) {
        list.sort(function (a, b) { return a.offset - b.offset; });
      }
      const ordered = messages.map(function (message) { return sorted.get(key(message)).shift(); });
      for (let i = 0; i < ordered.length; i++) {
        if (!tryDeliver(ordered[i])) {
          held = ordered.slice(i);
          resumeGap(ordered[i].stream);
          return;
        }
      }
    }

    return {
      /** Starts the connection and learns the positions of its implicit streams (all, user). */
      start: async function () {
        await connection.start();
        observeOwnStream();
        await serially(function () { return resumeAndRelease([], connection.connectionId); });
      },

      /** Joins a group; it is re-joined after every reconnect until left. Returns the JoinResult. */
      join: async function (group) {
        const result = await connection.invoke("Join", group);
        groups.add(group);
        observe("group:" + group, result.epoch, result.offset, false);
        return result;
      },

      /** Leaves a group and stops following its stream. */
      leave: async function (group) {
        await connection.invoke("Leave", group);
        groups.delete(group);
        positions.delete("group:" + group);
      },

      /**
       * Publishes data (any JSON value but null) as event to a stream: "all", "group:{name}",
       * "user:{id}" or "connection:{id}". Returns the SendResult { id, stream, offset }.
       */
      publish: function (to, event, data) {
        return connection.invoke("Publish", { to: to, event: event, data: data });
      },

      /** Calls handler(data, message) for each message of event, in stream order; returns a function that stops it. */
      on: function (event, handler) {
        handlers.set(event, (handlers.get(event) || []).concat([handler]));
        return function () {
          const rest = (handlers.get(event) || []).filter(function (h) { return h !== handler; });
          if (rest.length > 0) {
            handlers.set(event, rest);
          } else {
            handlers.delete(event);
          }
        };
      },

      /** The last position seen per stream. */
      positions: function () {
        return snapshot(Array.from(positions.keys()));
      },
    };
  }

  root.HubRecovery = { attach: attach };
})(typeof self !== "undefined" ? self : globalThis);
