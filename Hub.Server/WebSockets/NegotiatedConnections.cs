using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.Extensions.Options;

namespace Hub.Server.WebSockets;

/// <summary>
/// The connection ids SignalR's negotiate handed out, by the token a client then connects with
/// (<c>?id=</c>), so that a WebSocket served directly keeps the id its client was told. A token
/// opens one connection, whichever path serves it: the direct path takes it, and HTTP takes it
/// from the direct path's reach (SignalR then guards it) or, once the direct path has it,
/// answers 409 as SignalR does for a connection already in use. An entry lives as long as
/// SignalR waits for a negotiated connection's transport.
/// </summary>
internal sealed class NegotiatedConnections(IOptions<ConnectionOptions> connectionOptions)
{
    /// <summary>SignalR's default DisconnectTimeout: how long a negotiated connection waits for its transport.</summary>
    public static readonly TimeSpan DefaultLifetime = TimeSpan.FromSeconds(15);

    private readonly ConcurrentDictionary<string, Entry> _byToken = new(StringComparer.Ordinal);
    private readonly long _lifetimeMs = (long)(connectionOptions.Value.DisconnectTimeout ?? DefaultLifetime).TotalMilliseconds;
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
            _byToken[token ?? id] = new Entry(id, now + _lifetimeMs, TakenDirectly: false);
        }

        Sweep(now);
    }

    /// <summary>
    /// The id negotiated for <paramref name="token"/>, for a WebSocket served directly, once;
    /// false for a token this node did not hand out, one that expired, or one already used.
    /// </summary>
    public bool TryTakeDirect(string token, out string id)
    {
        id = "";
        var now = Environment.TickCount64;
        // Kept as taken until well after SignalR has let its unused connection of the token go
        // (at most a lifetime after negotiate, checked once a second), so HTTP refuses it till then.
        if (!_byToken.TryGetValue(token, out var entry) || entry.TakenDirectly || entry.ExpiresAt < now ||
            !_byToken.TryUpdate(token, new Entry(entry.Id, now + (2 * _lifetimeMs), TakenDirectly: true), entry))
        {
            return false;
        }

        id = entry.Id;
        return true;
    }

    /// <summary>
    /// For a request HTTP serves with <paramref name="token"/>: false when a WebSocket served
    /// directly already holds it (the request is to be refused with 409); otherwise the token is
    /// out of the direct path's reach from now on, and SignalR decides.
    /// </summary>
    public bool TryTakeForHttp(string token)
    {
        while (_byToken.TryGetValue(token, out var entry))
        {
            if (entry.TakenDirectly)
            {
                return entry.ExpiresAt < Environment.TickCount64;
            }

            // Not taken: HTTP serves it, and the direct path must not.

            if (_byToken.TryRemove(new KeyValuePair<string, Entry>(token, entry)))
            {
                return true;
            }
        }

        return true;
    }

    private void Sweep(long now)
    {
        var next = Interlocked.Read(ref _nextSweep);
        if (now < next || Interlocked.CompareExchange(ref _nextSweep, now + _lifetimeMs, next) != next)
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

    private readonly record struct Entry(string Id, long ExpiresAt, bool TakenDirectly);
}
