using Hub.Client;
using Hub.Server.Connections;
using Hub.Server.Core;
using Hub.Server.History;
using Hub.Server.Messaging;
using Hub.Server.Presence;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace Hub.Server.Recovery;

/// <summary>
/// <c>Resume</c>: replays what a connection missed on its streams, in offset order, while its
/// live messages on those streams are held back; then releases the held ones it did not replay
/// and lets the connection go live. The same path on one node and in a cluster, since history
/// is read through <see cref="IHistoryStore"/>.
/// </summary>
internal sealed partial class StreamRecovery(
    IHistoryStore history,
    IPresenceStore presence,
    ILocalClients clients,
    ResumingConnections resuming,
    HubMetrics metrics,
    IOptions<HistoryOptions> historyOptions,
    ILogger<StreamRecovery> logger)
{
    /// <summary>More than any client can have: every group allowed plus its implicit streams.</summary>
    public const int MaxStreams = 1000;

    private const int PageSize = 1000;
    private const string Receive = nameof(IHubClient.Receive);
    private readonly bool _historyEnabled = historyOptions.Value.Enabled;

    /// <summary>
    /// Replays what was missed on the requested streams. An empty request replays nothing and tells
    /// the positions of the caller's implicit streams: <c>all</c>, its user's, and the groups
    /// <paramref name="givenGroups"/> it was put in when it connected (by the application's
    /// handler, not by a <c>Join</c> of its own), so its client knows them before their first message.
    /// </summary>
    public async Task<ResumeResult> ResumeAsync(string connectionId, string? user, ResumeRequest? request, IReadOnlyList<string>? givenGroups, CancellationToken cancellationToken)
    {
        var requested = Validate(request);
        if (requested.Count == 0)
        {
            return await ImplicitPositionsAsync(connectionId, user, givenGroups ?? [], cancellationToken);
        }

        var readable = new List<StreamPosition>(requested.Count);
        var results = new Dictionary<string, StreamResumeResult>(StringComparer.Ordinal);
        foreach (var (position, target) in requested)
        {
            if (_historyEnabled && await CanReadAsync(target, connectionId, user, cancellationToken))
            {
                readable.Add(position);
            }
            else
            {
                // Without history nothing can be replayed; a stream the caller does not receive
                // is not replayed to it either. Either way it cannot know what it missed.
                results[position.Stream] = new StreamResumeResult { Stream = position.Stream, Epoch = position.Epoch, Offset = position.Offset };
                metrics.Resumed(recovered: false);
            }
        }

        if (readable.Count > 0)
        {
            await ReplayAsync(connectionId, readable, results, cancellationToken);
        }

        return new ResumeResult { Streams = [.. requested.Select(r => results[r.Position.Stream])] };
    }

    private async Task ReplayAsync(string connectionId, List<StreamPosition> positions, Dictionary<string, StreamResumeResult> results, CancellationToken cancellationToken)
    {
        var session = new RecoverySession(connectionId, [.. positions.Select(p => p.Stream)]);
        var replayed = new Dictionary<string, Replayed>(StringComparer.Ordinal);
        resuming.Add(session);
        try
        {
            // Held from here on: whatever is published from now is either in the history read
            // below or held, so nothing falls between the two.
            foreach (var position in positions)
            {
                replayed[position.Stream] = await ReplayStreamAsync(connectionId, position, cancellationToken);
            }
        }
        finally
        {
            // Also when the replay failed: held messages are still delivered (the caller learns
            // from the failed call that it may have lost some), never kept back for good.
            await ReleaseHeldAsync(session, replayed);
            resuming.Remove(session);
        }

        foreach (var position in positions)
        {
            var r = replayed[position.Stream];
            var recovered = r.Recovered && !session.Overflowed(position.Stream);
            results[position.Stream] = new StreamResumeResult
            {
                Stream = position.Stream,
                Epoch = r.Epoch,
                Offset = r.Offset,
                Recovered = recovered,
                Missed = r.Missed,
            };
            metrics.Resumed(recovered);
            Log.Resumed(logger, connectionId, position.Stream, position.Offset, r.Offset, r.Missed, recovered);
        }
    }

    private async Task<Replayed> ReplayStreamAsync(string connectionId, StreamPosition seen, CancellationToken cancellationToken)
    {
        var first = await history.ReadAsync(seen.Stream, seen.Offset, PageSize, cancellationToken);
        // The same epoch, or one that the current epoch continues from there (a Redis Cluster failover).
        var sameEpoch = first.Continues(seen.Epoch, seen.Offset);
        // An empty epoch at offset 0 means the caller saw nothing of the stream yet (it was empty).
        var nothingSeen = seen is { Epoch: "", Offset: 0 };
        var page = first;
        bool recovered;
        if (!sameEpoch && !nothingSeen)
        {
            // History was lost (Redis flushed or restarted empty, or the stream idled out), or the
            // caller saw messages of an ended epoch that the current one does not hold: replay what
            // the new generation holds (after where the caller's epoch ended, which it has), and say
            // the rest is gone.
            recovered = false;
            page = first.Epoch.Length == 0 ? first : await history.ReadAsync(seen.Stream, first.LastOffsetOf(seen.Epoch) ?? 0, PageSize, cancellationToken);
        }
        else if (seen.Offset >= first.Offset)
        {
            recovered = seen.Offset == first.Offset || nothingSeen;
        }
        else
        {
            // The oldest kept message must be the first one missed (or older).
            recovered = first.OldestOffset != 0 && first.OldestOffset <= seen.Offset + 1;
        }

        // Up to the position read first; what is published after that is held for the caller anyway.
        var target = page.Offset;
        // A caller ahead of the stream (its stored position went back) is told where the stream is.
        var last = sameEpoch ? Math.Min(seen.Offset, target) : 0;
        var missed = 0;
        while (page.Messages.Count > 0)
        {
            foreach (var message in page.Messages)
            {
                if (message.Offset > target)
                {
                    break;
                }

                await clients.SendConnectionAsync(connectionId, Receive, [message], cancellationToken);
                last = message.Offset;
                missed++;
            }

            if (last >= target || page.Messages[^1].Offset > target)
            {
                break;
            }

            page = await history.ReadAsync(seen.Stream, last, PageSize, cancellationToken);
        }

        return new Replayed(page, Math.Max(last, target), recovered, missed) { LastSent = last };
    }

    private async Task ReleaseHeldAsync(RecoverySession session, Dictionary<string, Replayed> replayed)
    {
        while (session.TakeHeldOrGoLive() is { } held)
        {
            foreach (var message in held)
            {
                if (replayed.TryGetValue(message.Stream, out var r) && message.Offset <= r.LastSent && r.Page.Continues(message.Epoch, message.Offset))
                {
                    continue;
                }

                try
                {
                    await clients.SendConnectionAsync(session.ConnectionId, Receive, [message]);
                }
                catch (Exception ex)
                {
                    Log.ReleaseFailed(logger, session.ConnectionId, message.Stream, ex);
                }

                if (r is not null && r.Epoch == message.Epoch && message.Offset > r.Offset)
                {
                    r.Offset = message.Offset;
                }
            }
        }
    }

    private async Task<ResumeResult> ImplicitPositionsAsync(string connectionId, string? user, IReadOnlyList<string> givenGroups, CancellationToken cancellationToken)
    {
        List<string> streams = user is null ? [Target.All.Stream] : [Target.All.Stream, Target.User(user).Stream];
        foreach (var group in givenGroups)
        {
            // Only while it is still a member: a group it left since is no stream of its own.
            if (await presence.IsMemberAsync(group, connectionId, cancellationToken))
            {
                streams.Add(Target.Group(group).Stream);
            }
        }

        var results = new List<StreamResumeResult>(streams.Count);
        foreach (var stream in streams)
        {
            var position = await history.GetPositionAsync(stream, cancellationToken);
            results.Add(new StreamResumeResult { Stream = stream, Epoch = position.Epoch, Offset = position.Offset, Recovered = true });
        }

        Log.ImplicitPositions(logger, connectionId);
        return new ResumeResult { Streams = results };
    }

    private async Task<bool> CanReadAsync(Target target, string connectionId, string? user, CancellationToken cancellationToken) =>
        target.Kind switch
        {
            TargetKind.All => true,
            TargetKind.User => target.Id == user,
            TargetKind.Connection => target.Id == connectionId,
            TargetKind.Group => await presence.IsMemberAsync(target.Id!, connectionId, cancellationToken),
            _ => false,
        };

    /// <summary>The requested positions, each with the target its stream names.</summary>
    private static List<(StreamPosition Position, Target Target)> Validate(ResumeRequest? request)
    {
        if (request?.Streams is not { } streams)
        {
            throw HubRequestException.Invalid("The resume request has no 'streams' list; send { streams: [{ stream, epoch, offset }] } (empty for none).");
        }

        if (streams.Count > MaxStreams)
        {
            throw HubRequestException.Invalid($"The resume request names {streams.Count} streams; the limit is {MaxStreams}.");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        var requested = new List<(StreamPosition, Target)>(streams.Count);
        foreach (var position in streams)
        {
            if (position?.Stream is null || !Target.TryParseStream(position.Stream, out var target))
            {
                throw HubRequestException.Invalid(
                    $"'{position?.Stream}' is not a stream name: expected 'all', 'group:{{name}}', 'user:{{id}}' or 'connection:{{id}}'.");
            }

            if (position.Offset < 0 || position.Epoch is null)
            {
                throw HubRequestException.Invalid($"The position of stream '{position.Stream}' needs an epoch (may be empty) and an offset of 0 or more.");
            }

            if (!names.Add(position.Stream))
            {
                throw HubRequestException.Invalid($"The stream '{position.Stream}' is named twice in the resume request.");
            }

            requested.Add((position, target));
        }

        return requested;
    }

    /// <summary>How far one stream was replayed.</summary>
    private sealed class Replayed(HistoryPage page, long offset, bool recovered, int missed)
    {
        /// <summary>The last page read: its epoch is the stream's as the caller will have it, and its lineage what that epoch continues.</summary>
        public HistoryPage Page { get; } = page;

        public string Epoch => Page.Epoch;

        /// <summary>The stream's position as the caller will have it once held messages are released.</summary>
        public long Offset { get; set; } = offset;

        /// <summary>The last offset sent by the replay; held messages up to it are duplicates.</summary>
        public long LastSent { get; init; }

        public bool Recovered { get; } = recovered;

        public int Missed { get; } = missed;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Connection {ConnectionId} resumed {Stream} from {From} to {To}: {Missed} replayed, recovered {Recovered}.")]
        public static partial void Resumed(ILogger logger, string connectionId, string stream, long from, long to, int missed, bool recovered);

        [LoggerMessage(2, LogLevel.Debug, "Connection {ConnectionId} asked for its stream positions.")]
        public static partial void ImplicitPositions(ILogger logger, string connectionId);

        [LoggerMessage(3, LogLevel.Warning, "A held message of stream {Stream} could not be released to connection {ConnectionId}.")]
        public static partial void ReleaseFailed(ILogger logger, string connectionId, string stream, Exception exception);
    }
}
