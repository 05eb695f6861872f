using Hub.Client;

namespace Hub.Server.Connections;

/// <summary>
/// How far this node delivered one stream to its connections, and the live messages it holds back
/// while it fills a gap before them from history. Every method is called under <see cref="Gate"/>,
/// and whoever delivers a message of the stream does so under it as well, so the stream's
/// messages reach the lifetime manager in offset order whether they came live or from history.
/// </summary>
internal sealed class StreamCursor(string stream)
{
    /// <summary>
    /// Live messages held beyond this while a gap is filled are not kept: the fill then gives up and
    /// the stream's clients are asked to resume, so a flood during a slow fill cannot exhaust memory.
    /// </summary>
    public const int MaxHeld = 10_000;

    private List<Message>? _held;

    public string Stream { get; } = stream;

    public Lock Gate { get; } = new();

    /// <summary>The epoch of the last message delivered; null while the node has delivered none (the position is unknown).</summary>
    public string? Epoch { get; private set; }

    /// <summary>Whether the cursor knows where the stream stands (it delivered a message, or was seeded).</summary>
    public bool Positioned => Epoch is not null;

    /// <summary>The offset of the last message delivered.</summary>
    public long Offset { get; private set; }

    /// <summary>Whether a gap is being filled: live messages are held meanwhile.</summary>
    public bool Filling => _held is not null;

    /// <summary>Whether the held messages went past <see cref="MaxHeld"/>: the fill cannot deliver the stream whole.</summary>
    public bool Overflowed { get; private set; }

    /// <summary>Local connections receiving the stream; kept by <see cref="LocalStreams"/> under its own lock.</summary>
    internal int Recipients { get; set; }

    /// <summary>
    /// A stream that starts empty (a new connection's own stream): its first message must be offset 1,
    /// in whichever epoch the stream gets, so a missed first message is a gap like any other.
    /// </summary>
    public void StartsEmpty()
    {
        Epoch = "";
        Offset = 0;
    }

    /// <summary>
    /// The stream's position when a local connection joined it, for a cursor that has delivered
    /// nothing yet: what is at or before it was published before the join. On a Redis Cluster such a
    /// message can still reach this node after the join (the cluster bus carries it after the sender
    /// had its answer), and must not be delivered as if it were new. A stream empty then (no epoch,
    /// offset 0) is known to start at offset 1, as <see cref="StartsEmpty"/>: a lost first message is
    /// then a gap that a catch-up fills, where an unknown position could not be caught up at all.
    /// </summary>
    public void Seed(string epoch, long offset)
    {
        if (Epoch is null && _held is null && (epoch.Length > 0 || offset == 0))
        {
            Epoch = epoch;
            Offset = offset;
        }
    }

    /// <summary>
    /// The stream's epoch changed without loss (on a Redis Cluster a failover or a slot move took it
    /// to another master, which went on under a new epoch at the next offset): the cursor goes on
    /// in <paramref name="epoch"/> from the same offset, as what it delivered up to there is that
    /// epoch's too.
    /// </summary>
    public void ContinueIn(string epoch)
    {
        if (Epoch is null)
        {
            throw new InvalidOperationException($"Stream {Stream}: a cursor that has delivered nothing has no epoch to continue.");
        }

        Epoch = epoch;
    }

    /// <summary>What to do with a live message: deliver it now, drop it, or fill the gap before it.</summary>
    public Admission Admit(Message message)
    {
        if (_held is not null)
        {
            Hold(message);
            return Admission.Held;
        }

        var admission = Classify(message);
        if (admission == Admission.Gap)
        {
            _held = [message];
        }

        return admission;
    }

    /// <summary>Starts holding live messages without a gap seen yet: the bus was interrupted and may have lost some.</summary>
    public bool TryStartFilling()
    {
        if (_held is not null || Epoch is null)
        {
            return false;
        }

        _held = [];
        return true;
    }

    /// <summary>The live messages held so far, in the order they arrived.</summary>
    public IReadOnlyList<Message> Held => (IReadOnlyList<Message>?)_held ?? [];

    /// <summary>Takes a message from history or from the held ones: whether it is the next one, to deliver now.</summary>
    public Admission Next(Message message) => Classify(message);

    /// <summary>
    /// Takes the held messages, in offset order as the bus delivered them; the cursor keeps holding
    /// until <see cref="TryGoLive"/>.
    /// </summary>
    public List<Message> TakeHeld()
    {
        var held = _held ?? [];
        _held = [];
        return held;
    }

    /// <summary>Holds again, ahead of what arrived meanwhile, the taken messages from a new gap on.</summary>
    public void HoldAgain(IEnumerable<Message> messages) => _held = [.. messages, .. _held ?? []];

    /// <summary>Stops holding when nothing is held any more; false when more arrived meanwhile.</summary>
    public bool TryGoLive()
    {
        if (_held is { Count: > 0 })
        {
            return false;
        }

        _held = null;
        Overflowed = false;
        return true;
    }

    /// <summary>
    /// Gives the gap up: stops holding and returns the held messages, in order, to be delivered as
    /// they are, but for copies of what was delivered already (a message can reach the node twice,
    /// live and in a catch-up); the last of them is where the stream now is (unknown when none is left).
    /// </summary>
    public List<Message> GiveUp()
    {
        var held = (_held ?? []).Where(m => m.Epoch != Epoch || m.Offset > Offset).ToList();
        _held = null;
        Overflowed = false;
        (Epoch, Offset) = held.Count > 0 ? (held[^1].Epoch, held[^1].Offset) : (null, 0);
        return held;
    }

    private void Hold(Message message)
    {
        if (_held!.Count < MaxHeld)
        {
            _held.Add(message);
        }
        else
        {
            Overflowed = true;
        }
    }

    private Admission Classify(Message message)
    {
        var follows = Epoch is null ||
            (message.Epoch == Epoch && message.Offset == Offset + 1) ||
            (Epoch.Length == 0 && Offset == 0 && message.Offset == 1);
        if (follows)
        {
            Epoch = message.Epoch;
            Offset = message.Offset;
            return Admission.Deliver;
        }

        // Same epoch, at or below the position: delivered already (from history, while it was also on its way live).
        return message.Epoch == Epoch && message.Offset <= Offset ? Admission.Duplicate : Admission.Gap;
    }
}

/// <summary>What a <see cref="StreamCursor"/> makes of a message.</summary>
internal enum Admission
{
    /// <summary>The next message of the stream: deliver it now.</summary>
    Deliver,

    /// <summary>Delivered already: drop it.</summary>
    Duplicate,

    /// <summary>Messages are missing before it (or its epoch changed): fill from history first.</summary>
    Gap,

    /// <summary>A fill is running: the message waits for it.</summary>
    Held,
}
