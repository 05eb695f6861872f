namespace Hub.Bench.Scenarios;

/// <summary>The load of one round: who connects where, how hard they send, and for how long.</summary>
internal sealed record LoadShape
{
    /// <summary>Listening connections, spread over the nodes in turn.</summary>
    public required int Receivers { get; init; }

    /// <summary>Sending connections, spread over the nodes in turn.</summary>
    public required int Publishers { get; init; }

    /// <summary>
    /// Connections that complete the handshake and then never read, spread over the nodes in
    /// turn: stuck clients, to show whether one of them holds up everyone else on its node.
    /// </summary>
    public int Stalled { get; init; }

    /// <summary><c>Send</c> calls each publisher keeps in flight (closed loop, when <see cref="Rate"/> is 0).</summary>
    public required int Window { get; init; }

    /// <summary>
    /// Messages per second offered by all publishers together, open loop (sent on schedule
    /// whatever the answers do); 0 = closed loop with <see cref="Window"/> calls in flight.
    /// </summary>
    public double Rate { get; init; }

    /// <summary>Length of each message text (ASCII, so bytes too).</summary>
    public int TextLength { get; init; } = 64;

    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Messages each publisher sends at most; 0 = as many as fit in the round.</summary>
    public long MessagesPerPublisher { get; init; }

    /// <summary>How long to watch Redis with MONITOR after the measured window to count round trips; zero = not at all.</summary>
    public TimeSpan RoundTripSample { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The same load made tiny for CI: at most 2 receivers, a few messages, no warm-up, a second
    /// measured. Every path still runs (cross-node delivery, the loss check, both Redis counts).
    /// </summary>
    public LoadShape Smoke() => this with
    {
        Receivers = Math.Min(Receivers, 2),
        Window = Math.Min(Window, 2),
        Warmup = TimeSpan.Zero,
        Duration = TimeSpan.FromSeconds(1),
        MessagesPerPublisher = 25,
        RoundTripSample = TimeSpan.FromMilliseconds(300),
    };
}
