using System.Collections.Concurrent;
using System.Diagnostics;

namespace Hub.Bench.Load;

/// <summary>
/// A connection that publishes either in a closed loop with a fixed window of calls in flight
/// (window 1: each call awaited before the next) or in an open loop at a fixed rate, whatever the
/// answers do. Its call ids are its sequence numbers, so an accepted call tells the receivers'
/// loss check exactly which messages to expect.
/// </summary>
internal sealed class Publisher : IAsyncDisposable
{
    private static readonly TimeSpan CompletionTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Open loop: unanswered calls at which the server counts as fallen behind for good.</summary>
    private const int MaxInFlight = 100_000;
    private readonly int _index;
    private readonly int _textLength;
    private readonly long[] _acceptedPerGroup;
    private readonly LoadPhase _phase;
    private readonly ErrorLog _errors;
    private readonly SemaphoreSlim _window;
    private readonly ConcurrentDictionary<long, long> _pending = new();
    private LoadConnection? _connection;
    private long _sent;
    private long _accepted;
    private volatile bool _openLoop;

    private Publisher(int index, int window, int textLength, int groups, LoadPhase phase, ErrorLog errors)
    {
        _index = index;
        _acceptedPerGroup = new long[groups];
        _textLength = textLength;
        _phase = phase;
        _errors = errors;
        _window = new SemaphoreSlim(window, window);
    }

    private LatencyHistogram _roundTrip = new();

    /// <summary>Calls the server accepted: the messages every receiver must get.</summary>
    public long Accepted => Interlocked.Read(ref _accepted);

    /// <summary>The round-trip times of the calls answered in the measured window since the last call, and a fresh start.</summary>
    public LatencyHistogram TakeRoundTrip() => Interlocked.Exchange(ref _roundTrip, new LatencyHistogram());

    /// <summary>Calls accepted for <paramref name="group"/> (as <see cref="LoadGroups"/> numbers them), or all of them for -1 (broadcast).</summary>
    /// <summary>Accepted messages a member of <paramref name="group"/> must get: all for -1 (broadcasts), none for a group past those it sends to.</summary>
    public long AcceptedFor(int group) =>
        group < 0 ? Accepted : group < _acceptedPerGroup.Length ? Interlocked.Read(ref _acceptedPerGroup[group]) : 0;

    /// <param name="groups">0: broadcast every message; else send each to one of this many groups (<see cref="LoadGroups"/>).</param>
    public static async Task<Publisher> ConnectAsync(Endpoint endpoint, int index, int window, int textLength, int groups, LoadPhase phase, ErrorLog errors)
    {
        var publisher = new Publisher(index, window, textLength, groups, phase, errors);
        publisher._connection = await LoadConnection.OpenAsync(endpoint, $"publisher {index}", publisher.OnEvent, errors);
        return publisher;
    }

    /// <summary>
    /// Sends until <paramref name="stop"/> fires or <paramref name="maxMessages"/> (0 = no cap) went
    /// out: at <paramref name="ratePerSecond"/> if it is above 0 (open loop), else as the window allows.
    /// </summary>
    public async Task RunAsync(long maxMessages, double ratePerSecond, CancellationToken stop)
    {
        try
        {
            if (ratePerSecond > 0)
            {
                _openLoop = true;
                await RunOpenLoopAsync(maxMessages, ratePerSecond, stop);
                return;
            }

            while (!stop.IsCancellationRequested && (maxMessages == 0 || _sent < maxMessages))
            {
                if (!await _window.WaitAsync(CompletionTimeout, stop))
                {
                    _errors.Add($"publisher {_index}: no Send completed within {CompletionTimeout.TotalSeconds:0} s.");
                    return;
                }

                await PublishNextAsync();
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The round is over.
        }
        catch (Exception ex)
        {
            _errors.Add($"publisher {_index}: {ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary>Every millisecond or so, sends what the rate says is due by now.</summary>
    private async Task RunOpenLoopAsync(long maxMessages, double ratePerSecond, CancellationToken stop)
    {
        var started = Stopwatch.GetTimestamp();
        var before = _sent;
        while (!stop.IsCancellationRequested && (maxMessages == 0 || _sent < maxMessages))
        {
            var due = before + (long)(Stopwatch.GetElapsedTime(started).TotalSeconds * ratePerSecond);
            if (maxMessages > 0)
            {
                due = Math.Min(due, maxMessages);
            }

            while (_sent < due)
            {
                if (_pending.Count >= MaxInFlight)
                {
                    _errors.Add($"publisher {_index}: {MaxInFlight:N0} calls unanswered at {ratePerSecond:N0}/s; the server fell behind for good.");
                    return;
                }

                await PublishNextAsync();
            }

            await Task.Delay(1, stop);
        }
    }

    private async Task PublishNextAsync()
    {
        var sequence = ++_sent;
        var text = MessageText.Format(_index, sequence, _textLength);
        _pending[sequence] = Stopwatch.GetTimestamp();
        var socket = _connection!.Socket;
        await (_acceptedPerGroup.Length == 0
            ? socket.PublishAsync(sequence, text, CancellationToken.None)
            : socket.PublishToGroupAsync(sequence, LoadGroups.Name(LoadGroups.Of(_index, sequence, _acceptedPerGroup.Length)), text, CancellationToken.None));
    }

    /// <summary>Waits, bounded, for the answers to the calls still in flight.</summary>
    public async Task DrainAsync()
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(CompletionTimeout.TotalSeconds * Stopwatch.Frequency);
        while (!_pending.IsEmpty && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(10);
        }

        if (!_pending.IsEmpty)
        {
            _errors.Add($"publisher {_index}: {_pending.Count} Send calls got no answer within {CompletionTimeout.TotalSeconds:0} s.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync();
        }

        _window.Dispose();
    }

    private void OnEvent(LoadEvent answer)
    {
        // Publishers get every broadcast too (the sender is a recipient); only the answers matter here.
        if (answer.Kind != LoadEventKind.Ack)
        {
            return;
        }

        if (!_pending.TryRemove(answer.Id, out var sentAt))
        {
            _errors.Add($"publisher {_index}: an answer to unknown call {answer.Id}.");
            return;
        }

        if (answer.Error is not null)
        {
            _errors.Add($"publisher {_index}: Send failed: {answer.Error}");
        }
        else
        {
            if (_acceptedPerGroup.Length > 0)
            {
                Interlocked.Increment(ref _acceptedPerGroup[LoadGroups.Of(_index, answer.Id, _acceptedPerGroup.Length)]);
            }

            Interlocked.Increment(ref _accepted);
            if (_phase.Measuring)
            {
                _roundTrip.RecordSince(sentAt);
            }
        }

        if (!_openLoop)
        {
            _window.Release();
        }
    }
}
