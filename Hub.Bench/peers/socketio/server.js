// The Socket.IO peer of Hub.Bench: one node of a Socket.IO cluster, joined to the others through
// the Redis adapter, doing what Hub's Send does: "send" broadcasts its text to every connection
// of every node as "message", and acknowledges once the broadcast is on its way; "join" and
// "sendToGroup" do the same for a room.
//
// Environment: PORT (listens on 127.0.0.1:PORT), REDIS (host:port of the bench's redis-server).
// It listens only once its Redis subscriptions are active, so that no broadcast the bench sends
// can miss a node; GET /ready then answers 200.
//
// Everything else is Socket.IO's and ioredis's default but for what the bench's clients do not
// need: the HTTP long-polling transport (they open a WebSocket directly) and the client bundle.
// perMessageDeflate is off, as it is by default here and in Hub. Node runs with its default heap
// and one thread per node, like any Socket.IO deployment without the cluster module.
"use strict";

const http = require("node:http");
const { Server } = require("socket.io");
const { createAdapter } = require("@socket.io/redis-adapter");
const { Redis } = require("ioredis");

const port = Number(process.env.PORT);
const [redisHost, redisPort] = (process.env.REDIS ?? "").split(":");
if (!port || !redisHost || !Number(redisPort)) {
  console.error("Set PORT (the port to listen on) and REDIS (host:port).");
  process.exit(2);
}

const pubClient = new Redis({ host: redisHost, port: Number(redisPort) });
const subClient = pubClient.duplicate();
for (const client of [pubClient, subClient]) {
  client.on("error", (error) => console.error(`redis: ${error.message}`));
}

// Socket.IO answers its own path before this handler runs; the rest is the bench's probe.
const httpServer = http.createServer((request, response) => {
  response.writeHead(request.url === "/ready" ? 200 : 404).end();
});

const io = new Server(httpServer, {
  transports: ["websocket"],
  perMessageDeflate: false,
  serveClient: false,
  adapter: createAdapter(pubClient, subClient),
});

// The bench's calls, each acknowledged. emit hands the message to the adapter, which queues its
// PUBLISH on the Redis connection and delivers to this node's connections, all before it
// returns; the adapter offers no promise of Redis's reply to wait for, so the ack follows the
// hand-over (Hub answers a Send after Redis's reply). A join is local to the node, as rooms are.
io.on("connection", (socket) => {
  socket.on("send", (text, ack) => {
    io.emit("message", text);
    ack();
  });
  socket.on("sendToGroup", (group, text, ack) => {
    io.to(group).emit("message", text);
    ack();
  });
  socket.on("join", (group, ack) => {
    socket.join(group);
    ack();
  });
});

async function start() {
  await Promise.all([pubClient, subClient].map((client) => new Promise((resolve) => client.once("ready", resolve))));
  // The adapter subscribed when it was created; Redis answers a connection's commands in order,
  // so this PING's answer means the subscriptions are in place.
  await subClient.ping();
  await new Promise((resolve) => httpServer.listen(port, "127.0.0.1", resolve));
}

start().catch((error) => {
  console.error(error);
  process.exit(1);
});
