using Hub.Server.Connections;
using Microsoft.Extensions.Options;

namespace Hub.Server.Drain;

/// <summary>
/// Drains the node when it is asked to stop (SIGTERM): it is not ready any more and refuses new
/// connections (both keyed on ApplicationStopping), and its clients are told to reconnect —
/// SignalR's close with <c>allowReconnect: true</c> — a few at a time over
/// <c>Hub:Shutdown:DrainSeconds</c>. With history on they resume on the node they land on, so
/// nothing accepted is lost.
/// </summary>
internal sealed partial class NodeDrain(
    ConnectionRegistry connections,
    IHostApplicationLifetime lifetime,
    IOptions<DrainOptions> options,
    ILogger<NodeDrain> logger) : IHostedService
{
    public const string Reason = "The node is shutting down; reconnect to another node.";

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Registered after SignalR's connection manager, which closes every connection at once
        // when the application stops. Stopping callbacks run last-registered first, so this drain
        // runs before that and leaves it nothing to close. The callback blocks on purpose: the
        // host goes on stopping (and Kestrel closing) only after the drain.
        lifetime.ApplicationStopping.Register(() => DrainAsync().GetAwaiter().GetResult());
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task DrainAsync()
    {
        var seconds = options.Value.DrainSeconds;
        Log.Draining(logger, connections.Count, seconds);
        var started = TimeProvider.System.GetTimestamp();
        var count = await connections.CloseAllAsync(Reason, TimeSpan.FromSeconds(seconds), (id, ex) => Log.CloseFailed(logger, id, ex));
        Log.Drained(logger, count, TimeProvider.System.GetElapsedTime(started).TotalSeconds);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Draining: telling {Count} connection(s) to reconnect elsewhere over {Seconds} s.")]
        public static partial void Draining(ILogger logger, int count, int seconds);

        [LoggerMessage(2, LogLevel.Information, "Drained {Count} connection(s) in {Seconds:0.0} s.")]
        public static partial void Drained(ILogger logger, int count, double seconds);

        [LoggerMessage(3, LogLevel.Warning, "Connection {ConnectionId} could not be closed cleanly during the drain.")]
        public static partial void CloseFailed(ILogger logger, string connectionId, Exception exception);
    }
}
