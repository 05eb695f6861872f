namespace Hub.Server.Coalescing;

/// <summary>
/// Coalescing for the bus loop, which delivers one bus message at a time in order. While more
/// messages wait behind the one it delivers, the connections' writes are left unflushed
/// (<see cref="CoalescingWriter"/>); once none wait, or after <see cref="MaxMessages"/>, each
/// connection written to is flushed once. So under load what waits for a connection goes out in
/// one socket write, as a bare server's send loop does when it falls behind, and a message that
/// finds the loop idle is flushed as soon as it is written: nothing waits for company.
/// </summary>
/// <remarks>
/// A batch belongs to one loop: it is active on a thread only during the synchronous part of a
/// delivery (what a delivery writes after it first waits goes out at once), and the connections
/// it holds are kept across deliveries, which never overlap.
/// </remarks>
internal sealed class WriteBatch
{
    /// <summary>Bus messages a batch spans at most, so a message waits at most for the delivery of this many more.</summary>
    public const int MaxMessages = 32;

    [ThreadStatic]
    private static WriteBatch? t_current;

    private readonly List<CoalescingWriter> _held = [];
    private int _messages;

    /// <summary>The batch whose delivery runs on this thread now, if any.</summary>
    public static WriteBatch? Current => t_current;

    /// <summary>
    /// Runs one delivery in the batch; afterwards flushes everything held unless
    /// <paramref name="moreWaiting"/> says another message waits and this one was delivered
    /// without waiting (and the batch is under <see cref="MaxMessages"/>).
    /// </summary>
    public Task Deliver(Func<Task> delivery, Func<bool> moreWaiting)
    {
        var holding = false;
        t_current = this;
        try
        {
            var delivered = delivery();
            holding = delivered.IsCompleted && ++_messages < MaxMessages && moreWaiting();
            return delivered;
        }
        finally
        {
            // Whatever happened, nothing stays held unless the next delivery is sure to come.
            t_current = null;
            if (!holding)
            {
                Flush();
            }
        }
    }

    /// <summary>Flushes every connection held, once each.</summary>
    public void Flush()
    {
        _messages = 0;
        foreach (var writer in _held)
        {
            writer.FlushHeld();
        }

        _held.Clear();
    }

    internal void Hold(CoalescingWriter writer) => _held.Add(writer);
}
