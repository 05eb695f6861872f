using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;

namespace Hub.Bench.Load;

/// <summary>
/// A connection that calls <c>Send</c> in a closed loop with a fixed window of calls in flight
/// (window 1: each call awaited before the next). Its invocation ids are its sequence numbers,
/// so an accepted call tells the receivers' loss check exactly which messages to expect.
/// </summary>
internal sealed class Publisher : IAsyncDisposable
{
    private static readonly TimeSpan CompletionTimeout = TimeSpan.FromSeconds(10);
    private readonly int _index;
    private readonly int _textLength;
    private readonly LoadPhase _phase;
    private readonly ErrorLog _errors;
    private readonly SemaphoreSlim _window;
    private readonly ConcurrentDictionary<long, long> _pending = new();
    private LoadConnection? _connection;
    private long _sent;
    private long _accepted;

    private Publisher(int index, int window, int textLength, LoadPhase phase, ErrorLog errors)
    {
        _index = index;
        _textLength = textLength;
        _phase = phase;
        _errors = errors;
        _window = new SemaphoreSlim(window, window);
    }

    /// <summary>Round-trip time of each <c>Send</c> call, in the measured window.</summary>
    public LatencyHistogram RoundTrip { get; } = new();

    /// <summary>Calls the server accepted: the messages every receiver must get.</summary>
    public long Accepted => Interlocked.Read(ref _accepted);

    public static async Task<Publisher> ConnectAsync(Uri hubUrl, int index, int window, int textLength, LoadPhase phase, ErrorLog errors)
    {
        var publisher = new Publisher(index, window, textLength, phase, errors);
        publisher._connection = await LoadConnection.OpenAsync(hubUrl, $"publisher {index}", publisher.OnFrame, errors);
        return publisher;
    }

    /// <summary>Sends until <paramref name="stop"/> fires or <paramref name="maxMessages"/> (0 = no cap) went out.</summary>
    public async Task RunAsync(long maxMessages, CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested && (maxMessages == 0 || _sent < maxMessages))
            {
                if (!await _window.WaitAsync(CompletionTimeout, stop))
                {
                    _errors.Add($"publisher {_index}: no Send completed within {CompletionTimeout.TotalSeconds:0} s.");
                    return;
                }

                var sequence = ++_sent;
                var record = Encoding.UTF8.GetBytes(
                    $"{{\"type\":1,\"invocationId\":\"{sequence}\",\"target\":\"Send\",\"arguments\":[\"{MessageText.Format(_index, sequence, _textLength)}\"]}}\u001e");
                _pending[sequence] = Stopwatch.GetTimestamp();
                await _connection!.Socket.SendAsync(record, CancellationToken.None);
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

    private void OnFrame(HubFrame frame)
    {
        // Publishers get every broadcast too (the sender is a recipient); only their completions matter here.
        if (frame.Type != HubFrame.Completion)
        {
            return;
        }

        if (!_pending.TryRemove(frame.InvocationId, out var sentAt))
        {
            _errors.Add($"publisher {_index}: an answer to unknown call {frame.InvocationId}.");
            return;
        }

        if (frame.Error is not null)
        {
            _errors.Add($"publisher {_index}: Send failed: {frame.Error}");
        }
        else
        {
            Interlocked.Increment(ref _accepted);
            if (_phase.Measuring)
            {
                RoundTrip.RecordSince(sentAt);
            }
        }

        _window.Release();
    }
}
