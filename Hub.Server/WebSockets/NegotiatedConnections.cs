using System.Collections.Concurrent;
using System.Text.Json;

namespace Hub.Server.WebSockets;

/// <summary>
/// The connection ids SignalR's negotiate handed out, by the token a client then connects with
/// (<c>?id=</c>), so that a WebSocket served directly keeps the id its client was told. Only
/// WebSocket connects take an entry; one left unused (a client that fell back to SSE or long
/// polling, which SignalR serves itself) is forgotten after SignalR's own wait for a transport.
/// </summary>
internal sealed class NegotiatedConnections
{
    /// <summary>SignalR's default DisconnectTimeout: how long a negotiated connection waits for its transport.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(15);

    private readonly ConcurrentDictionary<string, Entry> _byToken = new(StringComparer.Ordinal);
    private long _nextSweep;

    /// <summary>Takes note of a negotiate response's id and token (not of a stateful-reconnect one, which SignalR must serve).</summary>
    public void Remember(ReadOnlySpan<byte> negotiateResponse)
    {
        string? id = null, token = null;
        var stateful = false;
        var reader = new Utf8JsonReader(negotiateResponse);
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1)
                {
                    continue;
                }

                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "connectionId" when reader.TokenType == JsonTokenType.String: id = reader.GetString(); break;
                    case "connectionToken" when reader.TokenType == JsonTokenType.String: token = reader.GetString(); break;
                    case "useStatefulReconnect": stateful = reader.TokenType == JsonTokenType.True; break;
                }
            }
        }
        catch (JsonException)
        {
            return;
        }

        var now = Environment.TickCount64;
        if (id is not null && !stateful)
        {
            // Negotiate version 0 has no separate token: the client connects with the id itself.
            _byToken[token ?? id] = new Entry(id, now + (long)Lifetime.TotalMilliseconds);
        }

        Sweep(now);
    }

    /// <summary>The id negotiated for <paramref name="token"/>, once; false for a token this node did not hand out (or long ago).</summary>
    public bool TryTake(string token, out string id)
    {
        id = "";
        if (!_byToken.TryRemove(token, out var entry) || entry.ExpiresAt < Environment.TickCount64)
        {
            return false;
        }

        id = entry.Id;
        return true;
    }

    private void Sweep(long now)
    {
        var next = Interlocked.Read(ref _nextSweep);
        if (now < next || Interlocked.CompareExchange(ref _nextSweep, now + (long)Lifetime.TotalMilliseconds, next) != next)
        {
            return;
        }

        foreach (var (token, entry) in _byToken)
        {
            if (entry.ExpiresAt < now)
            {
                _byToken.TryRemove(token, out _);
            }
        }
    }

    private readonly record struct Entry(string Id, long ExpiresAt);
}
