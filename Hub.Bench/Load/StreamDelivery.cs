using System.Text;

namespace Hub.Bench.Load;

/// <summary>
/// What one failover client delivers of its group's stream, as Hub.Client's stream tracker does
/// it: in offset order, each offset once (a copy of one already delivered is dropped), what comes
/// after a gap held until the gap is filled; every delivery checked per publisher for order and
/// repeats, and counted for the round's loss check. The receive loop and the resume's answer both
/// reach it, so it takes a lock.
/// </summary>
/// <param name="stays">Whether its client's node is not the one the round kills: only those clients' latencies are recorded.</param>
internal sealed class StreamDelivery(string owner, string stream, int publishers, bool stays, LoadPhase phase, FailoverLog log, ErrorLog errors)
{
    private readonly Lock _lock = new();
    private readonly long[] _received = new long[publishers];
    private readonly long[] _lastSequence = new long[publishers];
    private readonly SortedDictionary<long, (int Publisher, long Sequence, long SentAt)> _ahead = [];
    private byte[] _epoch = [];
    private long _offset;

    public string Stream => stream;

    /// <summary>False once a resume said history no longer held what was missed.</summary>
    public bool Recovered { get; private set; } = true;

    public long Received(int publisher) => Volatile.Read(ref _received[publisher]);

    /// <summary>Where it stands: the position to resume from.</summary>
    public (string Epoch, long Offset) Position
    {
        get
        {
            lock (_lock)
            {
                return (Encoding.UTF8.GetString(_epoch), _offset);
            }
        }
    }

    /// <summary>Starts from the position a <c>Join</c> answered with: the next message has <paramref name="offset"/> + 1.</summary>
    public void Start(byte[] epoch, long offset)
    {
        lock (_lock)
        {
            _epoch = epoch;
            _offset = offset;
        }
    }

    public void Accept(LoadEvent message)
    {
        if (!MessageText.TryParse(message.Text, out var publisher, out var sequence, out var sentAt) || (uint)publisher >= _received.Length || !message.Point.Known)
        {
            errors.Add($"{owner}: a message arrived that the bench did not send, or without its stream position.");
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
                errors.Add($"{owner}: {stream} changed its epoch; history was lost.");
                return;
            }

            if (offset <= _offset || _ahead.ContainsKey(offset))
            {
                // Seen already: the live copy of a message that the resume replays too (or the other way round).
                log.DroppedDuplicate();
                return;
            }

            _ahead[offset] = (publisher, sequence, sentAt);
            DeliverAhead();
        }
    }

    /// <summary>The resume's replay and the held messages arrived before its answer: nothing may wait behind a gap now.</summary>
    public void AfterResume(bool? recovered, long? offset)
    {
        lock (_lock)
        {
            if (recovered == false)
            {
                // History no longer held it: as Hub.Client does, go on from what comes next and report the loss.
                Recovered = false;
                _offset = _ahead.Count > 0 ? _ahead.Keys.First() - 1 : offset ?? _offset;
                DeliverAhead();
            }

            if (_ahead.Count > 0)
            {
                errors.Add($"{owner}: after its resume, {stream} still had a gap before offset {_ahead.Keys.First()} (delivered up to {_offset}).");
            }
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
            errors.Add($"{owner}: publisher {publisher}'s message {sequence} was delivered after {_lastSequence[publisher]} (repeat or out of order).");
        }

        _lastSequence[publisher] = sequence;
        Volatile.Write(ref _received[publisher], _received[publisher] + 1);
        // The latency of the clients that keep their node: what the storm costs everyone else.
        if (stays && phase.Measuring)
        {
            log.RecordStayedLatency(sentAt);
        }
    }
}
