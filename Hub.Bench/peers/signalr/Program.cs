using Hub.Bench.SignalRPeer;
using Microsoft.AspNetCore.SignalR;

// One node of a plain SignalR cluster for Hub.Bench (--peer signalr): AddSignalR().AddStackExchangeRedis,
// nothing else, the way the framework's documentation scales a hub out. Its hub offers what the
// bench calls on Hub (Send, SendToGroup, SendToUser, Join, Leave) and answers with Receive.
var builder = WebApplication.CreateSlimBuilder(args);
var redis = builder.Configuration["Redis"]
    ?? throw new InvalidOperationException("Set Redis (the StackExchange.Redis configuration, e.g. 127.0.0.1:6379).");
builder.Services.AddSignalR().AddStackExchangeRedis(redis);
builder.Services.AddSingleton<IUserIdProvider, QueryUserIdProvider>();

var app = builder.Build();
app.MapHub<PeerHub>("/hub");

// The backplane connects and subscribes on its first use, and a send waits for that: once one
// has gone out, the node misses no message another node publishes.
app.MapGet("/ready", async (IHubContext<PeerHub> hub) =>
{
    await hub.Clients.Group(PeerHub.ReadyGroup).SendAsync("Ready");
    return Results.Ok();
});
await app.RunAsync();
