// Drives two official @microsoft/signalr clients with Hub's hub-recovery.js, one over JSON on node A
// and one over MessagePack on node B: each publishes every data shape to the other, and a text,
// and prints what each was handed (by hub.on and onMessage) as one JSON line for the NUnit test.
// Usage: node payloads.mjs <hub url on node A> <hub url on node B> <shapes: JSON array of [name, json]>
import { readFileSync } from "node:fs";
import { runInThisContext } from "node:vm";
import { buildConnection } from "./connection.mjs";

runInThisContext(readFileSync(new URL("../../Hub.Server/wwwroot/hub-recovery.js", import.meta.url), "utf8"));
const [urlA, urlB, shapesJson] = process.argv.slice(2);
const shapes = JSON.parse(shapesJson);
const deadline = Date.now() + 20000;
setTimeout(() => { console.error("payloads.mjs: gave up after 25 s"); process.exit(2); }, 25000).unref();

function connect(url, user, protocol) {
  const connection = buildConnection(url, user, protocol);
  const client = { connection, protocol, shapes: [], messages: [], stopped: [] };
  client.hub = globalThis.HubRecovery.attach(connection, { onMessage: m => client.messages.push(m) });
  client.hub.on("shape", (data, message) => client.shapes.push({ id: message.id, event: message.event, data }));
  const off = client.hub.on("stopped", data => client.stopped.push(data));
  client.off = off;
  return client;
}

async function until(condition) {
  while (!condition() && Date.now() < deadline) {
    await new Promise(resolve => setTimeout(resolve, 50));
  }
}

const alice = connect(urlA, "alice", "json");
const bob = connect(urlB, "bob", "messagepack");
await Promise.all([alice.hub.start(), bob.hub.start()]);

const sent = { alice: [], bob: [] };
for (const [from, to, name] of [[alice, bob, "alice"], [bob, alice, "bob"]]) {
  for (const [shape, json] of shapes) {
    const result = await from.hub.publish("connection:" + to.connection.connectionId, "shape", JSON.parse(json));
    sent[name].push({ shape, id: result.id });
  }
}
const text = await alice.connection.invoke("SendToUser", "bob", "plain text");
await bob.hub.publish("user:bob", "stopped", 1);
await until(() => bob.stopped.length >= 1);
bob.off();
await bob.hub.publish("user:bob", "stopped", 2);
const last = await bob.hub.publish("user:bob", "last", true);

await until(() => alice.shapes.length >= shapes.length && bob.messages.some(m => m.id === last.id));

const textMessage = bob.messages.find(m => m.id === text.id);
console.log(JSON.stringify({
  sent,
  aliceGot: alice.shapes,
  bobGot: bob.shapes,
  text: textMessage && { event: textMessage.event, data: textMessage.data, text: textMessage.text },
  stopped: bob.stopped,
}));
await Promise.all([alice.connection.stop(), bob.connection.stop()]);
