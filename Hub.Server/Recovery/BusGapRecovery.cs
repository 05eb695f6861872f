using Hub.Server.Backplane;
using Hub.Server.Connections;
using Hub.Server.Drain;
using Microsoft.Extensions.Options;

namespace Hub.Server.Recovery;

/// <summary>
/// When this node's bus subscription was interrupted (Redis went away, or only this node lost
/// it), other nodes may have published messages that never reached this node's connections, and
/// nothing tells those clients. The node therefore asks its clients to reconnect, spread over
/// <c>Hub:Shutdown:DrainSeconds</c>: they come back (here or elsewhere), re-join and resume
/// from history, so the gap is replayed — or reported through <c>MessagesLost</c> — instead of
/// being a silent loss.
/// </summary>
internal sealed partial class BusGapRecovery(
    IBroker broker,
    ConnectionRegistry connections,
    IOptions<DrainOptions> drain,
    ILogger<BusGapRecovery> logger) : IHostedService
{
    public const string Reason = "This node's connection to the backplane was interrupted; reconnect to resume what was missed.";

    private int _running;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        broker.Resubscribed += OnResubscribed;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        broker.Resubscribed -= OnResubscribed;
        return Task.CompletedTask;
    }

    private void OnResubscribed()
    {
        // One round at a time: a connection that came back during a round is already current.
        if (Interlocked.Exchange(ref _running, 1) == 1)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                Log.Reconnecting(logger, connections.Count);
                await connections.CloseAllAsync(Reason, TimeSpan.FromSeconds(drain.Value.DrainSeconds), (id, ex) => Log.CloseFailed(logger, id, ex));
            }
            finally
            {
                Volatile.Write(ref _running, 0);
            }
        });
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Asking {Count} connection(s) to reconnect and resume what they missed while the bus was interrupted.")]
        public static partial void Reconnecting(ILogger logger, int count);

        [LoggerMessage(2, LogLevel.Warning, "Connection {ConnectionId} could not be closed cleanly.")]
        public static partial void CloseFailed(ILogger logger, string connectionId, Exception exception);
    }
}
