using Hub.Client;
using Hub.Server.Backplane;
using Hub.Server.Connections;
using Hub.Server.Core;
using Hub.Server.Drain;
using Hub.Server.History;
using Hub.Server.Messaging;
using Microsoft.Extensions.Options;

namespace Hub.Server.Recovery;

/// <summary>
/// Keeps what this node delivers of each stream whole when its bus subscription loses messages
/// (Redis went away, failed over, or only this node's pub/sub connection dropped): no client has
/// to reconnect for it. Every positioned message of a stream with local recipients passes its
/// <see cref="StreamCursor"/>; one whose offset jumps past the next (or whose epoch changed) is
/// a gap, and so is whatever may have been published while the subscription was down. The
/// stream's live messages are then held, the missing ones read from history and delivered in
/// order, then the held ones, each once. Only a gap that history no longer covers reaches
/// clients: the stream's local recipients are asked to reconnect (<c>allowReconnect: true</c>),
/// and resuming, they are told what was lost.
/// </summary>
internal sealed partial class BusGapRecovery(
    IBroker broker,
    IHistoryStore history,
    LocalStreams streams,
    LocalFanout fanout,
    ConnectionRegistry connections,
    IOptions<HistoryOptions> historyOptions,
    IOptions<DrainOptions> drain,
    ILogger<BusGapRecovery> logger) : IHostedService
{
    public const string LostReason = "Messages this node missed are no longer in history; reconnect to resume and learn what was lost.";

    public const string NoHistoryReason = "This node's connection to the backplane was interrupted; reconnect to resume what was missed.";

    private const int PageSize = 1000;

    /// <summary>Reads of history that fail while Redis takes messages, in a row, before a fill gives up.</summary>
    private const int MaxFailedReads = 10;

    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan SecondLook = TimeSpan.FromSeconds(1);

    private readonly CancellationTokenSource _stopping = new();

    // The constructor's services, for the fill in BusGapRecovery.Fill.cs.
    private IHistoryStore HistoryStore => history;

    private LocalFanout Fanout => fanout;

    private ConnectionRegistry Registry => connections;

    private IOptions<DrainOptions> Drain => drain;

    private IBroker Broker => broker;

    private ILogger Logger => logger;

    // A subscription coming back starts a fill for every local stream: a few at a time, so a node
    // with many groups does not send Redis thousands of reads at once.
    private readonly SemaphoreSlim _fills = new(8);
    private readonly bool _historyEnabled = historyOptions.Value.Enabled;
    private int _closingAll;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        broker.Resubscribed += OnResubscribed;
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        broker.Resubscribed -= OnResubscribed;
        await _stopping.CancelAsync();
    }

    /// <summary>
    /// Takes a live message of a stream with local recipients from the bus loop: delivers it, drops
    /// it (delivered already), or holds it and fills the gap before it. The returned task is the
    /// delivery's, complete unless the node has too many sends pending.
    /// </summary>
    public Task Admit(StreamCursor cursor, Target target, Message message)
    {
        lock (cursor.Gate)
        {
            switch (cursor.Admit(message))
            {
                case Admission.Deliver:
                    return fanout.SendMessage(target, message);
                case Admission.Gap:
                    Log.GapSeen(logger, cursor.Stream, cursor.Epoch, cursor.Offset, message.Epoch, message.Offset);
                    StartFill(cursor, target);
                    break;
            }
        }

        return Task.CompletedTask;
    }

    private void OnResubscribed(BusGap gap)
    {
        if (!_historyEnabled)
        {
            CloseWithoutHistory(gap);
            return;
        }

        // What was published while the subscription was down shows as a gap at the stream's next
        // live message; a stream with no next message would keep its gap until then, so each one
        // looks now. And once more a moment later: the library raises this event right after it
        // sent SUBSCRIBE again without waiting for it, so a message published just before Redis
        // took that may be neither live nor in the first look.
        CatchUp(gap);
        _ = Task.Delay(SecondLook, _stopping.Token).ContinueWith(_ => CatchUp(gap), CancellationToken.None,
            TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
    }

    private void CatchUp(BusGap gap)
    {
        var started = 0;
        foreach (var cursor in streams.All)
        {
            if (!gap.Covers(cursor.Stream))
            {
                continue;
            }

            bool start;
            lock (cursor.Gate)
            {
                start = cursor.TryStartFilling();
            }

            if (start && Target.TryParseStream(cursor.Stream, out var target))
            {
                StartFill(cursor, target);
                started++;
            }
        }

        Log.Resubscribed(logger, gap.ToString(), started);
    }

    // Without history nothing can be filled: the clients of the streams that may have lost messages
    // reconnect, and their client library, which cannot know what it missed, says so.
    private void CloseWithoutHistory(BusGap gap)
    {
        if (gap != BusGap.Everything)
        {
            var recipients = streams.All.Where(c => gap.Covers(c.Stream)).SelectMany(c => connections.Receiving(c.Stream)).Distinct().ToList();
            Log.Reconnecting(logger, recipients.Count);
            _ = connections.CloseEachAsync(recipients, NoHistoryReason, TimeSpan.FromSeconds(drain.Value.DrainSeconds),
                (id, ex) => Log.CloseFailed(logger, id, ex));
            return;
        }

        // One round at a time: a connection that came back during a round is already current.
        if (Interlocked.Exchange(ref _closingAll, 1) == 1)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                Log.Reconnecting(logger, connections.Count);
                await connections.CloseAllAsync(NoHistoryReason, TimeSpan.FromSeconds(drain.Value.DrainSeconds),
                    (id, ex) => Log.CloseFailed(logger, id, ex));
            }
            finally
            {
                Volatile.Write(ref _closingAll, 0);
            }
        });
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Asking {Count} connection(s) to reconnect: the bus was interrupted and, without history, what they missed cannot be delivered.")]
        public static partial void Reconnecting(ILogger logger, int count);

        [LoggerMessage(2, LogLevel.Warning, "Connection {ConnectionId} could not be closed cleanly.")]
        public static partial void CloseFailed(ILogger logger, string connectionId, Exception exception);

        [LoggerMessage(3, LogLevel.Debug, "The bus may have lost messages of {Streams}; filling {Count} local stream(s) from history where that left a gap.")]
        public static partial void Resubscribed(ILogger logger, string streams, int count);

        [LoggerMessage(4, LogLevel.Debug, "Stream {Stream}: delivered up to {Epoch}:{Offset}, then {NextEpoch}:{NextOffset} arrived; filling the gap from history.")]
        public static partial void GapSeen(ILogger logger, string stream, string? epoch, long offset, string nextEpoch, long nextOffset);

        [LoggerMessage(5, LogLevel.Warning, "Stream {Stream}: messages this node missed are no longer in history; asking its {Count} local recipient(s) to reconnect and resume.")]
        public static partial void Lost(ILogger logger, string stream, int count);

        [LoggerMessage(6, LogLevel.Warning, "Stream {Stream}: filling a gap from history failed.")]
        public static partial void FillFailed(ILogger logger, string stream, Exception exception);

        [LoggerMessage(7, LogLevel.Information, "Stream {Stream}: epoch {Epoch} went on as {NextEpoch} (the Redis Cluster moved the stream to another master); delivering on from offset {Offset}.")]
        public static partial void EpochContinued(ILogger logger, string stream, string epoch, string nextEpoch, long offset);
    }
}
