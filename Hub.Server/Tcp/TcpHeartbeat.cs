using System.Collections.Concurrent;
using System.Collections.Immutable;
using Hub.Server.Core;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;

namespace Hub.Server.Tcp;

/// <summary>
/// The heartbeat of the TCP connections. SignalR pings a connection (<c>KeepAliveInterval</c>) and
/// closes one that went silent (<c>ClientTimeoutInterval</c>) from callbacks it registers on the
/// connection's <see cref="IConnectionHeartbeatFeature"/>, which the transport ticks once a second.
/// Kestrel's HTTP connections and SignalR's own HTTP connections (WebSockets and the rest) have
/// one; a connection straight from the socket transport does not, and without it SignalR neither
/// pings nor times out. So each TCP connection gets one here, and one timer ticks them all, as
/// Kestrel's heartbeat walks its connections: SignalR's own code then pings and times out, with the
/// same options and the same one-second granularity as on a WebSocket.
/// </summary>
internal sealed partial class TcpHeartbeat(ILogger<TcpHeartbeat> logger) : QuietlyStoppingService
{
    // As SignalR's HTTP connection manager and Kestrel tick theirs.
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<Beat, byte> _beats = new();

    /// <summary>Gives the connection its heartbeat, ticked until the returned registration is disposed.</summary>
    public IDisposable Attach(ConnectionContext connection)
    {
        var beat = new Beat(this);
        connection.Features.Set<IConnectionHeartbeatFeature>(beat);
        _beats.TryAdd(beat, 0);
        return beat;
    }

    protected override async Task RunAsync(CancellationToken stoppingToken)
    {
        // A timer that waits for the previous tick: a slow tick delays the next, never overlaps it.
        using var timer = new PeriodicTimer(Period);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            // The dictionary's own enumerator: no lock and no copy of tens of thousands of keys.
            foreach (var (beat, _) in _beats)
            {
                try
                {
                    beat.Tick();
                }
                catch (Exception ex)
                {
                    Log.TickFailed(logger, ex);
                }
            }
        }
    }

    private sealed class Beat(TcpHeartbeat heartbeat) : IConnectionHeartbeatFeature, IDisposable
    {
        // SignalR registers two: its keep-alive when the handshake is done, its client timeout at
        // the client's first ping. Copied on write, so a tick reads it without a lock.
        private ImmutableArray<(Action<object> Action, object State)> _handlers = [];

        public void OnHeartbeat(Action<object> action, object state) =>
            ImmutableInterlocked.Update(ref _handlers, static (handlers, handler) => handlers.Add(handler), (action, state));

        public void Tick()
        {
            foreach (var (action, state) in _handlers)
            {
                action(state);
            }
        }

        public void Dispose() => heartbeat._beats.TryRemove(this, out _);
    }

    private static partial class Log
    {
        [LoggerMessage(6, LogLevel.Error, "A TCP connection's heartbeat failed.")]
        public static partial void TickFailed(ILogger logger, Exception exception);
    }
}
