using System.Diagnostics;
using Hub.Client;

namespace Hub.Tests.Infrastructure;

/// <summary>
/// Sends from one client at a steady rate until stopped, taking the streams in turn, one send at a
/// time (so each stream's accepted messages are in offset order). Keeps what was accepted and
/// how long each refused send took to fail.
/// </summary>
public sealed class SteadyPublisher : IAsyncDisposable
{
    private readonly List<Sent> _accepted = [];
    private readonly List<Refusal> _refused = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private volatile HubClient _sender;

    private SteadyPublisher(HubClient sender, IReadOnlyList<string> streams, int perSecond)
    {
        _sender = sender;
        _loop = Task.Run(() => RunAsync(streams, TimeSpan.FromSeconds(1.0 / perSecond)));
    }

    /// <summary>Since the publisher started.</summary>
    public Stopwatch Clock { get; } = Stopwatch.StartNew();

    /// <param name="streams"><c>all</c>, <c>group:{name}</c> or <c>user:{id}</c>, sent to in turn.</param>
    public static SteadyPublisher Start(HubClient sender, IReadOnlyList<string> streams, int perSecond = 40) => new(sender, streams, perSecond);

    public IReadOnlyList<Sent> Accepted
    {
        get
        {
            lock (_accepted)
            {
                return [.. _accepted];
            }
        }
    }

    /// <summary>The accepted sends, split where <see cref="SendThrough"/> took another sender.</summary>
    public IReadOnlyList<IReadOnlyList<SendResult>> AcceptedBySender()
    {
        var runs = new List<List<SendResult>>();
        HubClient? last = null;
        foreach (var sent in Accepted)
        {
            if (runs.Count == 0 || sent.Sender != last)
            {
                runs.Add([]);
                last = sent.Sender;
            }

            runs[^1].Add(sent.Result);
        }

        return runs;
    }

    public IReadOnlyList<Refusal> Refused
    {
        get
        {
            lock (_refused)
            {
                return [.. _refused];
            }
        }
    }

    /// <summary>
    /// Sends through <paramref name="sender"/> from the next send on (one in flight finishes through
    /// the one before): as another service of the application, on another node, taking over.
    /// </summary>
    public void SendThrough(HubClient sender) => _sender = sender;

    /// <summary>Stops sending; returns once the send in flight has finished.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _loop.Within(TimeSpan.FromSeconds(20));
    }

    /// <summary>
    /// Waits until a send made after <paramref name="from"/> (on <see cref="Clock"/>; default now)
    /// was accepted (to <paramref name="stream"/>, if given), and returns how long after <paramref name="from"/> that was.
    /// </summary>
    public async Task<TimeSpan> WaitForAcceptanceAsync(string what, TimeSpan timeout, TimeSpan? from = null, string? stream = null)
    {
        var since = from ?? Clock.Elapsed;
        bool Taken(Sent a) => a.At - a.Took > since && (stream is null || a.Result.Stream == stream);
        await Bounded.UntilAsync(() => Task.FromResult(Accepted.Any(Taken)), what, timeout);
        return Accepted.First(Taken).At - since;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_loop.IsCompleted)
        {
            await StopAsync();
        }

        _stop.Dispose();
    }

    private async Task RunAsync(IReadOnlyList<string> streams, TimeSpan interval)
    {
        var next = Clock.Elapsed;
        for (var i = 0; !_stop.IsCancellationRequested; i++)
        {
            var stream = streams[i % streams.Count];
            var text = $"steady {i}";
            var started = Clock.Elapsed;
            try
            {
                var sender = _sender;
                var result = await SendAsync(sender, stream, text).WaitAsync(TimeSpan.FromSeconds(10));
                lock (_accepted)
                {
                    _accepted.Add(new Sent(result, text, Clock.Elapsed, Clock.Elapsed - started) { Sender = sender });
                }
            }
            catch (Exception ex)
            {
                lock (_refused)
                {
                    _refused.Add(new Refusal(stream, started, Clock.Elapsed - started, ex.Message));
                }
            }

            // A late send is not made up for by a burst: the rate stays what the test asked for.
            next = TimeSpan.FromTicks(Math.Max((next + interval).Ticks, Clock.Elapsed.Ticks));
            var wait = next - Clock.Elapsed;
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(wait, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }
    }

    private static Task<SendResult> SendAsync(HubClient sender, string stream, string text) => stream switch
    {
        "all" => sender.SendAsync(text),
        _ when stream.StartsWith("group:", StringComparison.Ordinal) => sender.SendToGroupAsync(stream["group:".Length..], text),
        _ when stream.StartsWith("user:", StringComparison.Ordinal) => sender.SendToUserAsync(stream["user:".Length..], text),
        _ => throw new ArgumentException($"The publisher does not send to '{stream}'.", nameof(stream)),
    };

    /// <summary>An accepted send, when it was accepted and how long that took.</summary>
    public sealed record Sent(SendResult Result, string Text, TimeSpan At, TimeSpan Took)
    {
        /// <summary>The client it was sent through.</summary>
        public HubClient? Sender { get; init; }
    }

    /// <summary>A refused send: when it started, how long it took to fail, and why.</summary>
    public sealed record Refusal(string Stream, TimeSpan At, TimeSpan Took, string Reason);
}
