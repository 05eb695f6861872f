// One way for the test scripts to build a connection of the official client to a Hub node.
import * as signalR from "@microsoft/signalr";
import { MessagePackHubProtocol } from "@microsoft/signalr-protocol-msgpack";

/** A connection to url as user over protocol ("json" or "messagepack"), not yet started. */
export function buildConnection(url, user, protocol, logLevel = signalR.LogLevel.Warning) {
  let builder = new signalR.HubConnectionBuilder()
    .withUrl(`${url}?user=${user}`)
    .configureLogging(logLevel);
  if (protocol === "messagepack") {
    builder = builder.withHubProtocol(new MessagePackHubProtocol());
  }
  return builder.build();
}
