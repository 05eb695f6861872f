using System.Diagnostics;
using System.Text;
using Hub.Client.Internal;
using Microsoft.AspNetCore.SignalR.Client;

namespace Hub.Bench.Load;

/// <summary>
/// A receiver in one group that does what Hub.Client does when its node goes: reconnects on
/// Hub.Client's own schedule (<see cref="JitteredBackoffPolicy"/>), tries the nodes in Hub.Client's
/// own order (<see cref="FailoverConnectionFactory.Order"/>), joins its group again and resumes
/// the group's stream from the last offset it delivered. Until the resume has answered, what
/// arrives ahead of a gap waits; what it already delivered is dropped by offset (the client's
/// stream tracker does the same); everything it delivers is checked per publisher for order and
/// repeats, and counted for the round's loss check.
/// </summary>
internal sealed class ResumingReceiver : IAsyncDisposable
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);

    private readonly int _index;
    private readonly IReadOnlyList<Endpoint> _endpoints;
    private readonly string _stream;
    private readonly LoadPhase _phase;
    private readonly FailoverLog _log;
    private readonly ErrorLog _errors;
    private readonly Lock _lock = new();
    private readonly long[] _received;
    private readonly long[] _lastSequence;
    private readonly SortedDictionary<long, (int Publisher, long Sequence, long SentAt)> _ahead = [];
    private readonly CancellationTokenSource _stop = new();
    private byte[] _epoch = [];
    private long _offset;
    private int _node;
    private long _callId;
    private TaskCompletionSource<Answer>? _answer;
    private ILoadSocket? _socket;
    private Task? _running;
    private long _lostAt;
    private long _connectedAt;
    private long _resumedAt;

    private ResumingReceiver(int index, IReadOnlyList<Endpoint> endpoints, int node, int group, int publishers, LoadPhase phase, FailoverLog log, ErrorLog errors)
    {
        _index = index;
        _endpoints = endpoints;
        _node = node;
        HomeNode = node;
        Group = group;
        _stream = "group:" + LoadGroups.Name(group);
        _phase = phase;
        _log = log;
        _errors = errors;
        _received = new long[publishers];
        _lastSequence = new long[publishers];
    }

    /// <summary>The group it listens to, as <see cref="LoadGroups"/> numbers them.</summary>
    public int Group { get; }

    /// <summary>The node it first connected to (0-based).</summary>
    public int HomeNode { get; }

    /// <summary>Whether it lost its node and came back elsewhere (or is still trying).</summary>
    public bool Moved { get; private set; }

    /// <summary>From the kill until its resume answered, for a client that moved and came back; null otherwise.</summary>
    public TimeSpan? ResumedAfterKill => SinceKill(Interlocked.Read(ref _resumedAt));

    /// <summary>From the kill until it saw its connection end, for a client that moved; null otherwise.</summary>
    public TimeSpan? LostAfterKill => SinceKill(Interlocked.Read(ref _lostAt));

    /// <summary>From the kill until another node completed its handshake (before the join and the resume), for a client that moved; null otherwise.</summary>
    public TimeSpan? ConnectedAfterKill => SinceKill(Interlocked.Read(ref _connectedAt));

    /// <summary>False once a resume said history no longer held what it missed.</summary>
    public bool Recovered { get; private set; } = true;

    public long Received(int publisher) => Volatile.Read(ref _received[publisher]);

    /// <summary>Connects to node <paramref name="node"/>, joins <paramref name="group"/> and takes the stream's position from the join's answer.</summary>
    public static async Task<ResumingReceiver> ConnectAsync(
        IReadOnlyList<Endpoint> endpoints, int node, int index, int group, int publishers, LoadPhase phase, FailoverLog log, ErrorLog errors, CancellationToken cancellationToken)
    {
        var receiver = new ResumingReceiver(index, endpoints, node, group, publishers, phase, log, errors);
        try
        {
            var (socket, receiving) = await receiver.OpenAsync(node, cancellationToken);
            receiver._socket = socket;
            var joined = await receiver.CallAsync(id => socket.JoinAsync(id, LoadGroups.Name(group), cancellationToken));
            if (joined.Error is not null || joined.Offset is not { } offset)
            {
                throw new IOException($"receiver {index} could not join {LoadGroups.Name(group)}: {joined.Error ?? "no position in the answer"}");
            }

            lock (receiver._lock)
            {
                receiver._epoch = joined.Epoch;
                receiver._offset = offset;
            }

            receiver._running = receiver.RunAsync(socket, receiving);
            return receiver;
        }
        catch
        {
            await receiver.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_running is null)
        {
            // It never got going: its one connection is its own to close.
            if (_socket is { } socket)
            {
                await socket.DisposeAsync();
            }
        }
        else
        {
            // The stop ends the read; RunAsync closes the connection it was on.
            await _running.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _stop.Dispose();
    }

    /// <summary>Receives until the connection goes, then comes back on another node, until the round lets go.</summary>
    private async Task RunAsync(ILoadSocket socket, Task receiving)
    {
        while (true)
        {
            await receiving;
            await socket.DisposeAsync();
            if (_stop.IsCancellationRequested)
            {
                return;
            }

            if (_log.KilledAt == 0 || HomeNode != _log.KillNode || Moved)
            {
                _errors.Add($"receiver {_index} lost its connection to node {_node + 1}, which was not killed.");
            }

            Moved = true;
            Interlocked.CompareExchange(ref _lostAt, Stopwatch.GetTimestamp(), 0);
            try
            {
                (socket, receiving) = await ComeBackAsync();
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>Hub.Client's reconnect: its delays, each attempt the nodes in its order, then join and resume on the one that answers.</summary>
    private async Task<(ILoadSocket Socket, Task Receiving)> ComeBackAsync()
    {
        var started = Stopwatch.GetTimestamp();
        for (var retry = 0; ; retry++)
        {
            var delay = JitteredBackoffPolicy.Default.NextRetryDelay(new RetryContext { PreviousRetryCount = retry, ElapsedTime = Stopwatch.GetElapsedTime(started) });
            await Task.Delay(delay ?? TimeSpan.Zero, _stop.Token);
            if (await TryComeBackAsync() is { } back)
            {
                return back;
            }
        }
    }

    private async Task<(ILoadSocket Socket, Task Receiving)?> TryComeBackAsync()
    {
        foreach (var node in FailoverConnectionFactory.Order(_node, _endpoints.Count))
        {
            _log.Attempted();
            ILoadSocket socket;
            Task receiving;
            try
            {
                (socket, receiving) = await OpenAsync(node, _stop.Token);
            }
            catch (Exception ex) when (!_stop.IsCancellationRequested)
            {
                _log.Refused(node == _log.KillNode ? FailoverLog.KilledNodePrefix + ex.Message : $"node {node + 1}: {ex.GetType().Name}: {ex.Message}");
                continue;
            }

            _node = node;
            _log.Admitted(node);
            Interlocked.CompareExchange(ref _connectedAt, Stopwatch.GetTimestamp(), 0);
            var back = false;
            try
            {
                back = await RejoinAndResumeAsync(socket, node);
            }
            finally
            {
                if (!back)
                {
                    await socket.DisposeAsync();
                    await receiving;
                }
            }

            return back ? (socket, receiving) : null;
        }

        // As the factory does: the next attempt starts after the node that failed first.
        _node = (_node + 1) % _endpoints.Count;
        return null;
    }

    private async Task<bool> RejoinAndResumeAsync(ILoadSocket socket, int node)
    {
        try
        {
            var joined = await CallAsync(id => socket.JoinAsync(id, LoadGroups.Name(Group), _stop.Token));
            if (joined.Error is not null)
            {
                _log.Refused($"node {node + 1}, Join: {joined.Error}");
                return false;
            }

            string epoch;
            long offset;
            lock (_lock)
            {
                epoch = Encoding.UTF8.GetString(_epoch);
                offset = _offset;
            }

            var resumed = await CallAsync(id => socket.ResumeAsync(id, _stream, epoch, offset, _stop.Token));
            if (resumed.Error is not null)
            {
                _log.Refused($"node {node + 1}, Resume: {resumed.Error}");
                return false;
            }

            AfterResume(resumed);
            Interlocked.Exchange(ref _resumedAt, Stopwatch.GetTimestamp());
            return true;
        }
        catch (Exception ex) when (!_stop.IsCancellationRequested)
        {
            _log.Refused($"node {node + 1}, join or resume: {ex.GetType().Name}: {ex.Message}");
            return false;
        }
    }

    /// <summary>The resume's replay and the held messages arrived before its answer: nothing may wait behind a gap now.</summary>
    private void AfterResume(Answer resumed)
    {
        lock (_lock)
        {
            if (resumed.Recovered == false)
            {
                // History no longer held it: as Hub.Client does, go on from what comes next and report the loss.
                Recovered = false;
                _offset = _ahead.Count > 0 ? _ahead.Keys.First() - 1 : resumed.Offset ?? _offset;
                DeliverAhead();
            }

            if (_ahead.Count > 0)
            {
                _errors.Add($"receiver {_index}: after its resume, {_stream} still had a gap before offset {_ahead.Keys.First()} (delivered up to {_offset}).");
            }
        }
    }

    private TimeSpan? SinceKill(long timestamp) =>
        timestamp == 0 || _log.KilledAt == 0 ? null : Stopwatch.GetElapsedTime(_log.KilledAt, timestamp);

    private async Task<(ILoadSocket Socket, Task Receiving)> OpenAsync(int node, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CallTimeout);
        var socket = await _endpoints[node].ConnectAsync(cancellationToken: timeout.Token);
        return (socket, ReceiveAsync(socket));
    }

    /// <summary>Reads one connection until it goes; how it went matters less than that it did.</summary>
    private async Task ReceiveAsync(ILoadSocket socket)
    {
        try
        {
            await socket.ReceiveAllAsync(OnEvent, _stop.Token);
        }
        catch (Exception)
        {
            // Closed, reset or let go: RunAsync decides what that means.
        }

        _answer?.TrySetResult(new Answer("the connection closed", null, null, []));
    }

    private async Task<Answer> CallAsync(Func<long, Task> invoke)
    {
        var answer = new TaskCompletionSource<Answer>(TaskCreationOptions.RunContinuationsAsynchronously);
        var id = Interlocked.Increment(ref _callId);
        Volatile.Write(ref _answer, answer);
        await invoke(id);
        return await answer.Task.WaitAsync(CallTimeout, _stop.Token);
    }

    private void OnEvent(LoadEvent loadEvent)
    {
        switch (loadEvent.Kind)
        {
            case LoadEventKind.Ack when loadEvent.Id == Volatile.Read(ref _callId):
                var point = loadEvent.Point;
                _answer?.TrySetResult(new Answer(loadEvent.Error, point.Known ? point.Offset : null, point.Recovered, point.Known ? point.Epoch.ToArray() : []));
                break;
            case LoadEventKind.Message:
                OnMessage(loadEvent);
                break;
        }
    }

    private void OnMessage(LoadEvent message)
    {
        if (!MessageText.TryParse(message.Text, out var publisher, out var sequence, out var sentAt) || (uint)publisher >= _received.Length || !message.Point.Known)
        {
            _errors.Add($"receiver {_index}: a message arrived that the bench did not send, or without its stream position.");
            return;
        }

        lock (_lock)
        {
            var offset = message.Point.Offset;
            if (_epoch.Length == 0 && _offset == 0)
            {
                // Joined while the stream was empty: its first message starts its epoch.
                _epoch = message.Point.Epoch.ToArray();
            }
            else if (!message.Point.Epoch.SequenceEqual(_epoch))
            {
                _errors.Add($"receiver {_index}: {_stream} changed its epoch; history was lost.");
                return;
            }

            if (offset <= _offset || _ahead.ContainsKey(offset))
            {
                // Seen already: the live copy of a message that the resume replays too (or the other way round).
                _log.DroppedDuplicate();
                return;
            }

            _ahead[offset] = (publisher, sequence, sentAt);
            DeliverAhead();
        }
    }

    /// <summary>Delivers what now follows on without a gap.</summary>
    private void DeliverAhead()
    {
        while (_ahead.Remove(_offset + 1, out var next))
        {
            _offset++;
            Deliver(next.Publisher, next.Sequence, next.SentAt);
        }
    }

    private void Deliver(int publisher, long sequence, long sentAt)
    {
        if (sequence <= _lastSequence[publisher])
        {
            _errors.Add($"receiver {_index}: publisher {publisher}'s message {sequence} was delivered after {_lastSequence[publisher]} (repeat or out of order).");
        }

        _lastSequence[publisher] = sequence;
        Volatile.Write(ref _received[publisher], _received[publisher] + 1);
        // The latency of the clients that keep their node: what the storm costs everyone else.
        if (_phase.Measuring && HomeNode != _log.KillNode)
        {
            _log.RecordStayedLatency(sentAt);
        }
    }

    /// <summary>A call's answer: its error, and the stream position it carried.</summary>
    private sealed record Answer(string? Error, long? Offset, bool? Recovered, byte[] Epoch);
}
