using Hub.Bench.RawPeer;

// A minimal WebSocket broadcast node for Hub.Bench (--peer raw): what fan-out through Redis costs
// on this machine without SignalR. Protocol, one text frame each: the client sends "p <id> <text>",
// the node PUBLISHes the text and answers "a <id>" (or "e <id> <reason>"); every node writes
// "m <text>" to each of its sockets, padded with 'x' to FrameBytes when that is set (so that its
// receivers read as many bytes per message as Hub's: --raw-frame-bytes).
var builder = WebApplication.CreateSlimBuilder(args);

// Kestrel's socket transport as Hub runs it (half as many I/O queues as cores), so that the
// floor the bench compares Hub with is the best this server does on the machine, not its default.
builder.WebHost.UseSockets(o => o.IOQueueCount = Math.Max(1, Environment.ProcessorCount / 2));
if (builder.Configuration["PORT"] is { Length: > 0 } port)
{
    builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
}

var redis = builder.Configuration["Redis"]
    ?? throw new InvalidOperationException("Set Redis (the StackExchange.Redis configuration, e.g. 127.0.0.1:6379).");
var frameBytes = builder.Configuration.GetValue("FrameBytes", 0);
await using var broadcast = await Broadcast.StartAsync(redis, frameBytes);

var app = builder.Build();
app.UseWebSockets();
app.MapGet("/ready", () => broadcast.IsReady ? Results.Ok() : Results.StatusCode(StatusCodes.Status503ServiceUnavailable));
app.Map("/ws", broadcast.AcceptAsync);
await app.RunAsync();
