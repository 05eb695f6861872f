// Drives the official @microsoft/signalr client through the load balancer: several clients, each
// with its own cookie jar as separate browsers would have, join one group; one of them sends to it,
// and every one must receive it. Prints one JSON line; the NUnit test asserts on it.
// Usage: node balancer.mjs <hub url> <websockets|sse|longpolling> <json|messagepack> <clients> <group> [skipNegotiation]
import * as signalR from "@microsoft/signalr";
import { MessagePackHubProtocol } from "@microsoft/signalr-protocol-msgpack";

const [url, transportName, protocol, count, group, skip] = process.argv.slice(2);
const skipNegotiation = skip === "skipNegotiation";
const transports = {
  websockets: signalR.HttpTransportType.WebSockets,
  sse: signalR.HttpTransportType.ServerSentEvents,
  longpolling: signalR.HttpTransportType.LongPolling,
};
const deadline = Date.now() + 20000;
setTimeout(() => { console.error("balancer.mjs: gave up after 25 s"); process.exit(2); }, 25000).unref();

function connect(user) {
  // One transport only, so that a connection that works proves that transport works.
  let builder = new signalR.HubConnectionBuilder()
    .withUrl(`${url}?user=${user}`, { transport: transports[transportName], skipNegotiation })
    .configureLogging(signalR.LogLevel.Warning);
  if (protocol === "messagepack") {
    builder = builder.withHubProtocol(new MessagePackHubProtocol());
  }
  const connection = builder.build();
  connection.received = [];
  // Joins tell the other members; this script does not look, but says it listens.
  connection.on("MemberJoined", () => {});
  connection.on("Receive", m => { connection.received.push(m); });
  return connection;
}

async function until(condition) {
  while (!condition() && Date.now() < deadline) {
    await new Promise(resolve => setTimeout(resolve, 50));
  }
}

const clients = Array.from({ length: Number(count) }, (_, i) => connect(`user${i}`));
await Promise.all(clients.map(c => c.start()));
for (const client of clients) {
  await client.invoke("Join", group);
}
const sent = await clients[0].invoke("SendToGroup", group, "through the balancer");
await until(() => clients.every(c => c.received.some(m => m.id === sent.id)));
const presence = await clients[clients.length - 1].invoke("GetPresence", group);

console.log(JSON.stringify({
  sent,
  receivedBy: clients.filter(c => c.received.some(m => m.id === sent.id)).length,
  transports: [...new Set(clients.map(c => c.connection.transport.constructor.name))],
  presence,
}));
await Promise.all(clients.map(c => c.stop()));
