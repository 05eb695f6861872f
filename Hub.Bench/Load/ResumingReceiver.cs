using System.Diagnostics;
using Hub.Client.Internal;
using Microsoft.AspNetCore.SignalR.Client;

namespace Hub.Bench.Load;

/// <summary>
/// A receiver in one group that does what Hub.Client does when its node goes: reconnects on
/// Hub.Client's own schedule (<see cref="JitteredBackoffPolicy"/>), tries the nodes in Hub.Client's
/// own order (<see cref="FailoverConnectionFactory.Order"/>), joins its group again and resumes
/// the group's stream from the last offset it delivered. What it delivers, and how, is its
/// <see cref="StreamDelivery"/>'s: in offset order, once, checked per publisher.
/// </summary>
internal sealed class ResumingReceiver : IAsyncDisposable
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);

    private readonly int _index;
    private readonly IReadOnlyList<Endpoint> _endpoints;
    private readonly StreamDelivery _delivery;
    private readonly FailoverLog _log;
    private readonly ErrorLog _errors;
    private readonly CancellationTokenSource _stop = new();
    private int _node;
    private long _callId;
    private TaskCompletionSource<Answer>? _answer;
    private ILoadSocket? _socket;
    private Task? _running;
    private long _lostAt;
    private long _connectedAt;
    private long _resumedAt;

    // Why the last attempt failed, as Hub.Client's factory reports it to the policy: a refusal that asked to wait, else the last.
    private Exception? _refusal;

    private ResumingReceiver(int index, IReadOnlyList<Endpoint> endpoints, int node, int group, int publishers, LoadPhase phase, FailoverLog log, ErrorLog errors)
    {
        _index = index;
        _endpoints = endpoints;
        _node = node;
        HomeNode = node;
        Group = group;
        _log = log;
        _errors = errors;
        _delivery = new StreamDelivery($"receiver {index}", "group:" + LoadGroups.Name(group), publishers, stays: node != log.KillNode, phase, log, errors);
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
    public bool Recovered => _delivery.Recovered;

    public long Received(int publisher) => _delivery.Received(publisher);

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

            receiver._delivery.Start(joined.Epoch, offset);

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
            var delay = JitteredBackoffPolicy.Default.NextRetryDelay(new RetryContext { PreviousRetryCount = retry, ElapsedTime = Stopwatch.GetElapsedTime(started), RetryReason = _refusal });
            await Task.Delay(delay ?? TimeSpan.Zero, _stop.Token);
            if (await TryComeBackAsync() is { } back)
            {
                return back;
            }
        }
    }

    private async Task<(ILoadSocket Socket, Task Receiving)?> TryComeBackAsync()
    {
        _refusal = null;
        Exception? last = null;
        Exception? waitAsked = null;
        foreach (var node in FailoverConnectionFactory.Order(_node, _endpoints.Count))
        {
            _log.Attempted();
            ILoadSocket socket;
            Task receiving;
            try
            {
                (socket, receiving) = await OpenAsync(node, _stop.Token, heedWait: false);
            }
            catch (Exception ex) when (!_stop.IsCancellationRequested)
            {
                _log.Refused(node == _log.KillNode ? FailoverLog.KilledNodePrefix + ex.Message : $"node {node + 1}: {ex.GetType().Name}: {ex.Message}");
                last = ex;
                waitAsked ??= RetryHint.Of(ex) is null ? null : ex;
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

        // As the factory does: the next attempt starts after the node that failed first, and waits as a refusal asked.
        _node = (_node + 1) % _endpoints.Count;
        _refusal = waitAsked ?? last;
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

            var (epoch, offset) = _delivery.Position;
            var resumed = await CallAsync(id => socket.ResumeAsync(id, _delivery.Stream, epoch, offset, _stop.Token));
            if (resumed.Error is not null)
            {
                _log.Refused($"node {node + 1}, Resume: {resumed.Error}");
                return false;
            }

            _delivery.AfterResume(resumed.Recovered, resumed.Offset);
            Interlocked.Exchange(ref _resumedAt, Stopwatch.GetTimestamp());
            return true;
        }
        catch (Exception ex) when (!_stop.IsCancellationRequested)
        {
            _log.Refused($"node {node + 1}, join or resume: {ex.GetType().Name}: {ex.Message}");
            return false;
        }
    }

    private TimeSpan? SinceKill(long timestamp) =>
        timestamp == 0 || _log.KilledAt == 0 ? null : Stopwatch.GetElapsedTime(_log.KilledAt, timestamp);

    /// <param name="heedWait">False on a reconnect: the wait a refusal asks for is then the policy's to heed, as in Hub.Client.</param>
    private async Task<(ILoadSocket Socket, Task Receiving)> OpenAsync(int node, CancellationToken cancellationToken, bool heedWait = true)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(heedWait ? CallTimeout * 3 : CallTimeout);
        var socket = await _endpoints[node].ConnectAsync(cancellationToken: timeout.Token, heedWait: heedWait);
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
                _delivery.Accept(loadEvent);
                break;
        }
    }

    /// <summary>A call's answer: its error, and the stream position it carried.</summary>
    private sealed record Answer(string? Error, long? Offset, bool? Recovered, byte[] Epoch);
}
