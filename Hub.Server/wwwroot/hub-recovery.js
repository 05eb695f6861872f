/*
 * hub-recovery.js — lossless reconnects for the official @microsoft/signalr client against Hub.
 *
 * What the .NET HubClient does on its own, for JavaScript: it tracks the last offset seen on
 * every stream, re-joins the groups after a reconnect (to whichever node it lands on), calls
 * Resume so the node replays what was missed, and hands the application each message once, in
 * stream order. When history could not cover a gap, it says which streams lost messages.
 *
 * Use it in a page after signalr.js (it defines window.HubRecovery), or load it in Node:
 *
 *   const connection = new signalR.HubConnectionBuilder()
 *       .withUrl("/hub?user=alice")
 *       .withAutomaticReconnect({ nextRetryDelayInMilliseconds: c => Math.min(30000, 500 * 2 ** c.previousRetryCount) })
 *       .build();
 *   const hub = HubRecovery.attach(connection, {
 *       onMessage: message => show(message),          // each message once, in stream order
 *       onMessagesLost: streams => reload(streams),   // messages of these streams are gone
 *   });
 *   await hub.start();              // instead of connection.start()
 *   await hub.join("room");         // instead of connection.invoke("Join", ...): re-joined after reconnects
 *   await hub.leave("room");
 *   await connection.invoke("SendToGroup", "room", "hi");   // everything else as usual
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
    let held = null; // messages received between a reconnect and the end of its resume
    let awaited = null; // stream -> { epoch, offset } still to arrive from the replay
    let caughtUp = null;

    function accept(message) {
      if (!message.offset) {
        return true; // history off: nothing to order or de-duplicate by
      }
      const seen = positions.get(message.stream);
      if (seen && seen.epoch === message.epoch && message.offset <= seen.offset) {
        return false;
      }
      positions.set(message.stream, { epoch: message.epoch, offset: message.offset });
      return true;
    }

    function deliver(message) {
      if (accept(message)) {
        onMessage(message);
      }
    }

    function observe(stream, epoch, offset, overwrite) {
      if (overwrite || !positions.has(stream)) {
        positions.set(stream, { epoch: epoch, offset: offset });
      }
    }

    function reaches(message) {
      const end = awaited && awaited.get(message.stream);
      return !!end && message.epoch === end.epoch && message.offset >= end.offset;
    }

    connection.on("Receive", function (message) {
      if (!held) {
        deliver(message);
        return;
      }
      held.push(message);
      if (reaches(message)) {
        awaited.delete(message.stream);
        if (awaited.size === 0 && caughtUp) {
          caughtUp();
        }
      }
    });

    connection.onreconnecting(function () {
      held = held || [];
    });

    connection.onreconnected(async function () {
      for (const group of groups) {
        try {
          await connection.invoke("Join", group);
        } catch (error) {
          console.warn("hub-recovery: re-joining group '" + group + "' failed:", error);
        }
      }

      // A connection stream ends with its connection: nothing to resume there.
      for (const stream of Array.from(positions.keys())) {
        if (stream.startsWith("connection:")) {
          positions.delete(stream);
        }
      }

      const streams = Array.from(positions, function (entry) {
        return { stream: entry[0], epoch: entry[1].epoch, offset: entry[1].offset };
      });
      let result = null;
      try {
        result = await connection.invoke("Resume", { streams: streams });
        await waitForReplay(result);
      } catch (error) {
        console.warn("hub-recovery: resuming failed; messages missed while disconnected are lost:", error);
        if (streams.length > 0) {
          onMessagesLost(streams.map(function (s) { return s.stream; }));
        }
      } finally {
        release();
      }
      if (result) {
        apply(result, streams.length > 0);
      }
    });

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

    // Hands over what was held, each stream in offset order, keeping the streams' interleaving.
    function release() {
      const messages = held || [];
      held = null;
      awaited = null;
      caughtUp = null;
      const sorted = new Map();
      for (const message of messages) {
        if (!sorted.has(message.stream)) {
          sorted.set(message.stream, []);
        }
        sorted.get(message.stream).push(message);
      }
      for (const list of sorted.values()) {
        list.sort(function (a, b) { return a.offset - b.offset; });
      }
      for (const message of messages) {
        deliver(sorted.get(message.stream).shift());
      }
    }

    // Positions of streams not recovered are taken after their replayed tail was delivered.
    function apply(result, reportLost) {
      const lost = [];
      for (const stream of result.streams) {
        observe(stream.stream, stream.epoch, stream.offset, !stream.recovered);
        if (!stream.recovered && reportLost) {
          lost.push(stream.stream);
        }
      }
      if (lost.length > 0) {
        onMessagesLost(lost);
      }
    }

    return {
      /** Starts the connection and learns the positions of its implicit streams (all, user). */
      start: async function () {
        await connection.start();
        apply(await connection.invoke("Resume", { streams: [] }), false);
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

      /** The last position seen per stream. */
      positions: function () {
        return Array.from(positions, function (entry) {
          return { stream: entry[0], epoch: entry[1].epoch, offset: entry[1].offset };
        });
      },
    };
  }

  root.HubRecovery = { attach: attach };
})(typeof self !== "undefined" ? self : globalThis);
