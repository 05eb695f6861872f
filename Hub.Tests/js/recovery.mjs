// Drives the official @microsoft/signalr client with Hub's hub-recovery.js helper through a
// reconnect: prints {"ready":…} once joined, {"reconnected":…} after each reconnect, and on the
// message "end" everything it was handed and how often it reconnected, as JSON lines for the NUnit test.
// Usage: node recovery.mjs <hub url> <json|messagepack> [user, default bob]
import { readFileSync } from "node:fs";
import { runInThisContext } from "node:vm";
import * as signalR from "@microsoft/signalr";
import { MessagePackHubProtocol } from "@microsoft/signalr-protocol-msgpack";

runInThisContext(readFileSync(new URL("../../Hub.Server/wwwroot/hub-recovery.js", import.meta.url), "utf8"));
const [url, protocol, user = "bob"] = process.argv.slice(2);
setTimeout(() => { console.error("recovery.mjs: gave up after 45 s"); process.exit(2); }, 45000).unref();

let builder = new signalR.HubConnectionBuilder()
  .withUrl(`${url}?user=${user}`)
  .withAutomaticReconnect({ nextRetryDelayInMilliseconds: () => 200 })
  .configureLogging(signalR.LogLevel.Error);
if (protocol === "messagepack") {
  builder = builder.withHubProtocol(new MessagePackHubProtocol());
}
const connection = builder.build();

const received = [];
const lost = [];
let reconnects = 0;
let finish;
const finished = new Promise(resolve => { finish = resolve; });
const hub = globalThis.HubRecovery.attach(connection, {
  onMessage: m => {
    received.push({ id: m.id, stream: m.stream, epoch: m.epoch, offset: m.offset, text: m.text });
    if (m.text === "end") {
      finish();
    }
  },
  onMessagesLost: streams => lost.push(streams),
});
connection.onreconnected(id => {
  reconnects++;
  console.log(JSON.stringify({ reconnected: id }));
});

await hub.start();
await hub.join("room");
console.log(JSON.stringify({ ready: connection.connectionId }));
await finished;
console.log(JSON.stringify({ received, lost, reconnects }));
await connection.stop();
