using Hub.Client.Internal;
using Microsoft.AspNetCore.SignalR.Client;

namespace Hub.Client;

/// <summary>
/// What arrives, and what was missed: live delivery in stream order without duplicates, gaps
/// noticed in live delivery, and the re-join and resume after a reconnect.
/// </summary>
public sealed partial class HubClient
{
    private void OnReceive(Message message)
    {
        if (_hold.TryHold(message, _connection.ConnectionId) || TryDeliver(message))
        {
            return;
        }

        // Messages are missing before this one (an offset jump or another epoch is a gap, never
        // progress): it and everything after it wait for a resume of its stream.
        _hold.Begin();
        _hold.HoldAgain([message]);
        ResumeGap(message.Stream);
    }

    /// <summary>Hands the message to the application, unless seen already; false when messages are missing before it.</summary>
    private bool TryDeliver(Message message)
    {
        switch (_streams.Accept(message))
        {
            case Arrival.Gap:
                return false;
            case Arrival.Seen:
                return true;
        }

        MessageReceived?.Invoke(message);
        _subscriptions.Deliver(message);
        if (_readerActive && !_reader.Writer.TryWrite(message))
        {
            Log.ReaderOverflow(_logger, message.Stream);
            MessagesLost?.Invoke([message.Stream]);
        }

        return true;
    }

    private void ResumeGap(string stream)
    {
        lock (_gaps)
        {
            _gaps.Add(stream);
        }

        var connectionId = _connection.ConnectionId;
        _ = Task.Run(() => ResumeGapsAsync(connectionId));
    }

    /// <summary>Resumes, on the same connection, the streams whose live delivery showed a gap.</summary>
    private async Task ResumeGapsAsync(string? connectionId)
    {
        await _resuming.WaitAsync();
        try
        {
            string[] streams;
            lock (_gaps)
            {
                streams = [.. _gaps];
                _gaps.Clear();
            }

            // Once the connection changed, its reconnect resumed every stream and handed over what was held.
            if (streams.Length == 0 || connectionId is null || connectionId != _connection.ConnectionId)
            {
                return;
            }

            Log.GapInLiveDelivery(_logger, string.Join(", ", streams));
            await ResumeAndReleaseAsync(_streams.Snapshot(streams), connectionId, CancellationToken.None);
        }
        finally
        {
            _resuming.Release();
        }
    }

    private async Task OnReconnectedAsync(string? connectionId)
    {
        string[] groups;
        lock (_groups)
        {
            groups = [.. _groups];
        }

        foreach (var group in groups)
        {
            try
            {
                await _connection.InvokeAsync<JoinResult>(nameof(IHubServer.Join), group);
            }
            catch (Exception ex)
            {
                Log.RejoinFailed(_logger, group, ex);
            }
        }

        await _resuming.WaitAsync();
        try
        {
            // Every stream is resumed now, those with a gap too.
            lock (_gaps)
            {
                _gaps.Clear();
            }

            // A connection stream ends with its connection: there is nothing to resume on it.
            _streams.ForgetConnectionStreams();
            var positions = _streams.Snapshot();
            ObserveOwnStream(connectionId);
            await ResumeAndReleaseAsync(positions, connectionId, CancellationToken.None);
        }
        finally
        {
            _resuming.Release();
        }

        Reconnected?.Invoke(connectionId);
    }

    // The connection's own stream starts empty: a missing first message is a gap like any other.
    private void ObserveOwnStream(string? connectionId)
    {
        if (connectionId is not null)
        {
            _streams.Observe("connection:" + connectionId, "", 0, overwrite: true);
        }
    }

    /// <summary>
    /// Replays what was missed on the given streams, hands over what was held meanwhile (the
    /// tracker drops duplicates), takes the positions the resume reported and reports the streams
    /// that lost messages. When the connection goes during the resume, it leaves everything held
    /// for the reconnect, which resumes from the same positions.
    /// </summary>
    private async Task ResumeAndReleaseAsync(IReadOnlyList<StreamPosition> positions, string? connectionId, CancellationToken cancellationToken)
    {
        ResumeResult? result;
        try
        {
            result = await ResumeAsync(new ResumeRequest { Streams = positions }, cancellationToken);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested && !IsCurrent(connectionId))
        {
            return;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Without a resume the client cannot know what it missed.
            Log.ResumeFailed(_logger, ex);
            result = null;
        }
        catch (OperationCanceledException)
        {
            ReleaseHeld(connectionId);
            throw;
        }

        if (result is not null)
        {
            await WaitForReplayAsync(result);
        }

        // A stream not recovered goes on from whatever comes next: its loss is reported below.
        var lost = result is null ? [.. positions.Select(p => p.Stream)] : result.Streams.Where(s => !s.Recovered).Select(s => s.Stream).ToList();
        foreach (var stream in lost)
        {
            _streams.Forget(stream);
        }

        // A stream recovered under another epoch (on a Redis Cluster a failover moved it): the new
        // epoch holds what was seen, at the same offsets, so its replayed messages follow on.
        foreach (var stream in result?.Streams.Where(s => s.Recovered) ?? [])
        {
            _streams.ContinueIn(stream.Stream, stream.Epoch);
        }

        ReleaseHeld(connectionId);
        foreach (var stream in result?.Streams ?? [])
        {
            _streams.Observe(stream.Stream, stream.Epoch, stream.Offset, overwrite: false);
        }

        if (lost.Count > 0 && positions.Count > 0)
        {
            MessagesLost?.Invoke(lost);
        }
    }

    private bool IsCurrent(string? connectionId) =>
        connectionId is not null && connectionId == _connection.ConnectionId && _connection.State == HubConnectionState.Connected;

    /// <summary>
    /// Delivers what arrived while resuming (the tracker drops duplicates). A gap among the held
    /// messages keeps them, from there on, for a resume of that stream.
    /// </summary>
    private void ReleaseHeld(string? liveConnectionId)
    {
        _hold.GoLive(liveConnectionId);
        while (_hold.TakeOrStop() is { } held)
        {
            for (var i = 0; i < held.Count; i++)
            {
                if (!TryDeliver(held[i]))
                {
                    _hold.HoldAgain(held.Skip(i));
                    ResumeGap(held[i].Stream);
                    return;
                }
            }
        }
    }

    /// <summary>Waits, bounded, until the replayed messages went through the SignalR client's handler loop.</summary>
    private async Task WaitForReplayAsync(ResumeResult result)
    {
        try
        {
            await _hold.WaitForReplayAsync(result.Streams).WaitAsync(ReplayWait);
        }
        catch (TimeoutException)
        {
            Log.ReplayIncomplete(_logger, ReplayWait.TotalSeconds);
        }
    }

    private static readonly TimeSpan ReplayWait = TimeSpan.FromSeconds(10);
}
