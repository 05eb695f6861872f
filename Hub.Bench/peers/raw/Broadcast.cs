using System.Collections.Concurrent;
using StackExchange.Redis;

namespace Hub.Bench.RawPeer;

/// <summary>
/// The node's sockets and its one Redis channel: a publish goes to Redis, and what the node's
/// single subscription hands back goes to every local socket, serialized once.
/// </summary>
internal sealed class Broadcast : IAsyncDisposable
{
    private static readonly RedisChannel Channel = RedisChannel.Literal("raw-peer:broadcast");
    private readonly ConcurrentDictionary<RawConnection, byte> _connections = new();
    private readonly ConnectionMultiplexer _redis;
    private readonly ISubscriber _subscriber;
    private readonly int _frameBytes;

    private Broadcast(ConnectionMultiplexer redis, int frameBytes)
    {
        _redis = redis;
        _subscriber = redis.GetSubscriber();
        _frameBytes = frameBytes;
    }

    public bool IsReady => _redis.IsConnected;

    /// <summary>Connects and subscribes before the node listens, so that a ready node misses nothing.</summary>
    /// <param name="redisConfiguration">StackExchange.Redis configuration.</param>
    /// <param name="frameBytes">
    /// The least a broadcast frame carries: a shorter one is padded with 'x' after the text (which
    /// the bench's receivers read up to its timestamp), so its receivers can be given as many bytes
    /// per message as Hub's are; 0 sends the text alone.
    /// </param>
    public static async Task<Broadcast> StartAsync(string redisConfiguration, int frameBytes)
    {
        var broadcast = new Broadcast(await ConnectionMultiplexer.ConnectAsync(redisConfiguration), frameBytes);
        // A queue, not a plain handler: it hands messages over one at a time in the channel's order.
        (await broadcast._subscriber.SubscribeAsync(Channel)).OnMessage(broadcast.Deliver);
        return broadcast;
    }

    public async Task AcceptAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        var connection = new RawConnection(await context.WebSockets.AcceptWebSocketAsync(), this);
        _connections.TryAdd(connection, 0);
        try
        {
            await connection.RunAsync(context.RequestAborted);
        }
        finally
        {
            _connections.TryRemove(connection, out _);
        }
    }

    /// <summary>PUBLISH, queued on the multiplexer in call order: one socket's publishes keep their order.</summary>
    public Task PublishAsync(byte[] text) => _subscriber.PublishAsync(Channel, text);

    public ValueTask DisposeAsync() => _redis.DisposeAsync();

    private void Deliver(ChannelMessage message)
    {
        ReadOnlyMemory<byte> text = message.Message;
        var frame = new byte[Math.Max(2 + text.Length, _frameBytes)];
        "m "u8.CopyTo(frame);
        text.Span.CopyTo(frame.AsSpan(2));
        frame.AsSpan(2 + text.Length).Fill((byte)'x');
        // Enumerating the dictionary itself takes no lock and no snapshot (Keys would take both).
        foreach (var (connection, _) in _connections)
        {
            connection.Send(frame);
        }
    }
}
