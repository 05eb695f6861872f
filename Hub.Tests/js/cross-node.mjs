// Drives the official @microsoft/signalr client through every kind of message between two
// Hub nodes and prints what it saw as one JSON line; the NUnit test asserts on it.
// Usage: node cross-node.mjs <hub url on node A> <hub url on node B> <json|messagepack>
import { buildConnection } from "./connection.mjs";

const [urlA, urlB, protocol] = process.argv.slice(2);
const deadline = Date.now() + 20000;
setTimeout(() => { console.error("cross-node.mjs: gave up after 25 s"); process.exit(2); }, 25000).unref();

function connect(url, user) {
  const connection = buildConnection(url, user, protocol);
  connection.received = [];
  connection.joined = [];
  connection.on("Receive", m => connection.received.push(m));
  connection.on("MemberJoined", e => connection.joined.push(e));
  return connection;
}

async function until(condition) {
  while (!condition() && Date.now() < deadline) {
    await new Promise(resolve => setTimeout(resolve, 50));
  }
}

const alice = connect(urlA, "alice");
const bob = connect(urlB, "bob");
await Promise.all([alice.start(), bob.start()]);
await alice.invoke("Join", "room");
const joinResult = await bob.invoke("Join", "room");
const sent = {
  all: await alice.invoke("Send", "to all"),
  connection: await alice.invoke("SendToConnection", bob.connectionId, "to bob's connection"),
  user: await alice.invoke("SendToUser", "bob", "to bob"),
  group: await alice.invoke("SendToGroup", "room", "to the room"),
};

let badCall = null;
try {
  await alice.invoke("Join", "");
} catch (error) {
  badCall = error.message;
}
const afterBadCall = await alice.invoke("Send", "still connected");

await until(() => bob.received.length >= 5 && alice.joined.length >= 1);
const presence = await bob.invoke("GetPresence", "room");

console.log(JSON.stringify({
  aliceConnectionId: alice.connectionId,
  bobConnectionId: bob.connectionId,
  joinResult,
  sent,
  afterBadCall,
  badCall,
  received: bob.received.map(m => ({ ...m, sentAt: String(m.sentAt), sentAtIsDate: m.sentAt instanceof Date })),
  aliceJoined: alice.joined,
  presence,
}));
await Promise.all([alice.stop(), bob.stop()]);
