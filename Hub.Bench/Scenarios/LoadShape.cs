namespace Hub.Bench.Scenarios;

/// <summary>The load of one round: who connects where, how hard they send, and for how long.</summary>
internal sealed record LoadShape
{
    /// <summary>Listening connections, spread over the (member) nodes in turn.</summary>
    public required int Receivers { get; init; }

    /// <summary>0: every message is a broadcast; else each receiver joins one of this many groups and each message goes to one group.</summary>
    public int Groups { get; init; }

    /// <summary>Receivers each message reaches, on average.</summary>
    public double DeliveriesPerMessage => Groups > 0 ? (double)Receivers / Groups : Receivers;

    /// <summary>Idle connections to the first node, instead of receivers (the connections scenario); 0 = none.</summary>
    public int Connections { get; init; }

    /// <summary>Nodes the bench starts (<c>--nodes</c>).</summary>
    public int Nodes { get; init; } = 2;

    /// <summary>
    /// The nodes (the first this many) that hold the receivers and the publishers; 0 = every node.
    /// The others hold only <see cref="QuietMembers"/>: nodes with no recipient for any message,
    /// whose own CPU and bus traffic the round reports.
    /// </summary>
    public int MemberNodes { get; init; }

    /// <summary>With <see cref="MemberNodes"/>: connections on each other node, each in a group of its own that gets no messages.</summary>
    public int QuietMembers { get; init; }

    /// <summary>The nodes that hold receivers and publishers, out of <paramref name="nodes"/>.</summary>
    public int MemberNodesOf(int nodes) => MemberNodes > 0 ? Math.Min(MemberNodes, nodes) : nodes;

    /// <summary>Sending connections, spread over the (member) nodes in turn.</summary>
    public required int Publishers { get; init; }

    /// <summary>
    /// Publishers are backend services calling the HTTP API (<c>POST /api/v1/messages</c>), all
    /// on the first node, instead of hub connections spread over the nodes: what one node's API takes.
    /// </summary>
    public bool ApiCallers { get; init; }

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

    /// <summary>
    /// Open-loop steps at rising rates within one start of the nodes, instead of one window at
    /// <see cref="Rate"/>: finds the highest rate the servers carry within a latency limit.
    /// </summary>
    public RampPlan? Ramp { get; init; }

    /// <summary>A failover round instead of a load window: <see cref="Connections"/> group receivers over the nodes, one of them killed.</summary>
    public FailoverPlan? Failover { get; init; }

    /// <summary>Length of each message text (ASCII, so bytes too).</summary>
    public int TextLength { get; init; } = 64;

    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The SignalR hub protocol the connections speak to Hub (<c>--protocol</c>), for the record.</summary>
    public string Protocol { get; init; } = "json";

    /// <summary>Messages each publisher sends at most; 0 = as many as fit in the round.</summary>
    public long MessagesPerPublisher { get; init; }

    /// <summary>How long to watch Redis with MONITOR after the measured window to count round trips; zero = not at all.</summary>
    public TimeSpan RoundTripSample { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The same load made tiny for CI: at most 2 receivers, a few messages (a ramp: two short
    /// steps at a few hundred messages/s), no warm-up, a second measured. Every path still runs
    /// (cross-node delivery, the loss check, both Redis counts, a ramp's judgement).
    /// </summary>
    public LoadShape Smoke() => Failover is not null ? FailoverSmoke() : this with
    {
        Receivers = Math.Min(Receivers, 2),
        Connections = Math.Min(Connections, 50),
        QuietMembers = Math.Min(QuietMembers, 2),
        Groups = Math.Min(Groups, 1),
        Window = Math.Min(Window, 2),
        Warmup = Ramp is null ? TimeSpan.Zero : TimeSpan.FromSeconds(0.5),
        Duration = TimeSpan.FromSeconds(1),
        // A ramp step is judged on sends/s against its rate: no cap on messages, and rates where one message more or less is noise.
        MessagesPerPublisher = Ramp is null ? 25 : 0,
        // An open loop slow enough that its few messages fall in the measured second, not all before it.
        Rate = Math.Min(Rate, 40),
        Ramp = Ramp is null ? null : Ramp with { StartRate = Math.Max(Ramp.StartRate, 200), MaxSteps = 2, P99LimitMs = 10_000 },
        RoundTripSample = TimeSpan.FromMilliseconds(300),
    };

    /// <summary>A failover made tiny: 60 clients in 12 groups, a second before the kill, the same checks.</summary>
    private LoadShape FailoverSmoke() => this with
    {
        Connections = Math.Min(Connections, 60),
        Groups = Math.Min(Groups, 12),
        Rate = Math.Min(Rate, 100),
        Warmup = TimeSpan.FromSeconds(0.5),
        Duration = TimeSpan.FromSeconds(1),
    };
}

/// <summary>
/// A failover round: after the warm-up and <see cref="LoadShape.Duration"/> measured with every
/// node up, node <paramref name="KillNode"/> (0-based) is killed; the round waits, at most
/// <paramref name="ResumeTimeout"/>, for each of its clients to be back and resumed, and goes on
/// sending for <paramref name="After"/> more before it stops and counts.
/// </summary>
internal sealed record FailoverPlan(int KillNode, TimeSpan ResumeTimeout, TimeSpan After);

/// <summary>
/// A ramp: steps from <paramref name="StartRate"/> messages/s, each <paramref name="Factor"/>
/// times the last, until a step's p99 latency passes <paramref name="P99LimitMs"/>, it delivers
/// less than it was offered, or something fails; the last step within the limit is the
/// saturation rate. Then, when given, steps at <paramref name="Fractions"/> of that rate.
/// </summary>
internal sealed record RampPlan(double StartRate, double Factor, int MaxSteps, double P99LimitMs, IReadOnlyList<double> Fractions)
{
    /// <summary>What a step must deliver of what it was offered (messages × receivers) to count as keeping up.</summary>
    public const double KeptUp = 0.95;

    /// <summary>
    /// A step that kept up but for its p99 is run once more and judged on that second reading: on
    /// a shared machine one pause of a few tens of milliseconds would otherwise end a ramp steps
    /// below where the server stops keeping up. The first reading stays in the results.
    /// </summary>
    public bool ReadLateStepsAgain { get; init; }
}
