using Hub.Client;
using Hub.Server.Connections;
using Hub.Server.Core;
using Hub.Server.History;

namespace Hub.Server.Recovery;

/// <summary>
/// Filling one stream's gap from history while its live messages are held: the fill's rounds, what
/// a round delivers from history and from the held messages, and giving the gap up when history
/// cannot cover it. When a gap is seen and who is told is in BusGapRecovery.cs.
/// </summary>
internal sealed partial class BusGapRecovery
{
    private void StartFill(StreamCursor cursor, Target target) =>
        _ = Task.Run(() => FillAsync(cursor, target));

    private async Task FillAsync(StreamCursor cursor, Target target)
    {
        var (failures, stuck) = (0, 0);
        try
        {
            await _fills.WaitAsync(_stopping.Token);
            try
            {
                while (true)
                {
                    try
                    {
                        var before = Position(cursor);
                        switch (await FillOnceAsync(cursor, target))
                        {
                            case Filled.Live:
                                return;
                            case Filled.Lost:
                                await GiveUpAsync(cursor, target);
                                return;
                        }

                        // Another gap after this one: fine while each round gets further.
                        stuck = Position(cursor) == before ? stuck + 1 : 0;
                        if (stuck >= 3)
                        {
                            await GiveUpAsync(cursor, target);
                            return;
                        }

                        failures = 0;
                    }
                    catch (BackplaneUnavailableException ex)
                    {
                        // While Redis is away nothing arrives live either: wait for it. A read that
                        // keeps failing while Redis takes messages is given up.
                        if (Broker.IsReady && ++failures >= MaxFailedReads)
                        {
                            Log.FillFailed(Logger, cursor.Stream, ex);
                            await GiveUpAsync(cursor, target);
                            return;
                        }

                        await Task.Delay(RetryDelay, _stopping.Token);
                    }
                }
            }
            finally
            {
                _fills.Release();
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // The node stops: its connections go, and with them what they were waiting for.
        }
        catch (Exception ex)
        {
            Log.FillFailed(Logger, cursor.Stream, ex);
            await GiveUpAsync(cursor, target);
        }
    }

    private static (string? Epoch, long Offset) Position(StreamCursor cursor)
    {
        lock (cursor.Gate)
        {
            return (cursor.Epoch, cursor.Offset);
        }
    }

    /// <summary>
    /// Delivers from history what the cursor lacks, then the held messages; stops holding once
    /// none is left. <see cref="Filled.Again"/> when the held messages themselves start a new gap.
    /// </summary>
    private async Task<Filled> FillOnceAsync(StreamCursor cursor, Target target)
    {
        string epoch;
        long offset;
        lock (cursor.Gate)
        {
            if (cursor.Overflowed)
            {
                return Filled.Lost;
            }

            (epoch, offset) = (cursor.Epoch!, cursor.Offset);
        }

        // A stream that started empty here (a connection's own) accepts its first epoch, whichever it is.
        var anyEpoch = epoch.Length == 0 && offset == 0;
        HistoryPage page;
        EndedEpoch? lost;
        while (true)
        {
            page = await HistoryStore.ReadAsync(cursor.Stream, offset, PageSize, _stopping.Token);
            if (!anyEpoch && page.Epoch != epoch && page.Continues(epoch, offset))
            {
                // A Redis Cluster failover or slot move: the new epoch holds what this node delivered.
                lock (cursor.Gate)
                {
                    cursor.ContinueIn(page.Epoch);
                }

                Log.EpochContinued(Logger, cursor.Stream, epoch, page.Epoch, offset);
                epoch = page.Epoch;
            }

            if ((!anyEpoch && page.Epoch != epoch) || page.Offset < offset)
            {
                // The stream's history is not the one this node delivered from: it was lost
                // (flushed, expired) or went back (a replica or a restart without the last writes,
                // or an ended epoch's messages beyond where the new one took over).
                return Filled.Lost;
            }

            lock (cursor.Gate)
            {
                lost = LostWritesHeld(cursor, page, offset);
            }

            if (page.Offset == offset || offset == lost?.LastOffset)
            {
                break;
            }

            if (page.Messages.Count == 0 || page.Messages[0].Offset != offset + 1)
            {
                // History no longer reaches back to the first message missed.
                return Filled.Lost;
            }

            lock (cursor.Gate)
            {
                foreach (var message in page.Messages)
                {
                    if (message.Offset > lost?.LastOffset)
                    {
                        break;
                    }

                    if (cursor.Next(message) == Admission.Deliver)
                    {
                        _ = Fanout.SendMessage(target, message);
                    }
                }

                (epoch, offset) = (cursor.Epoch!, cursor.Offset);
            }

            anyEpoch = false;
            if (offset >= page.Offset || offset == lost?.LastOffset)
            {
                break;
            }
        }

        lock (cursor.Gate)
        {
            if (lost is { } writes && cursor.Offset == writes.LastOffset)
            {
                // Up to there the ended epoch and the current one are the same messages: the held
                // writes it lost follow, and the current epoch's next message comes after them as
                // a gap of its own, which history cannot fill, so the recipients learn of the loss.
                cursor.ContinueIn(writes.Epoch);
            }

            var held = cursor.TakeHeld();
            for (var i = 0; i < held.Count; i++)
            {
                switch (cursor.Next(held[i]))
                {
                    case Admission.Deliver:
                        _ = Fanout.SendMessage(target, held[i]);
                        break;
                    case Admission.Gap when held[i].Epoch != page.Epoch && held[i].Offset <= cursor.Offset && page.Continues(held[i].Epoch, held[i].Offset):
                        // Of the epoch that ended: delivered from history under the one that continues it.
                        break;
                    case Admission.Gap:
                        // Missed again, after the fill's read: fill once more.
                        cursor.HoldAgain(held.Skip(i));
                        return Filled.Again;
                }
            }

            return cursor.TryGoLive() ? Filled.Live : Filled.Again;
        }
    }

    /// <summary>
    /// Of the live messages held, the earliest ended epoch with writes beyond where it ended, not yet
    /// passed at <paramref name="offset"/>: on a Redis Cluster a master took writes its replica never
    /// got and the replica took over, and this node received them before the new epoch's messages
    /// at the same offsets. Its clients get them in that order, as the clients of a node that was
    /// not filling did: history is delivered only up to where that epoch ended, then the held
    /// writes. Delivered after the current epoch's messages instead, they would come out of order.
    /// </summary>
    private static EndedEpoch? LostWritesHeld(StreamCursor cursor, HistoryPage page, long offset)
    {
        EndedEpoch? earliest = null;
        foreach (var message in cursor.Held)
        {
            if (message.Epoch != page.Epoch && page.LastOffsetOf(message.Epoch) is { } last && message.Offset > last && last >= offset &&
                (earliest is null || last < earliest.Value.LastOffset))
            {
                earliest = new EndedEpoch(message.Epoch, last);
            }
        }

        return earliest;
    }

    /// <summary>
    /// History cannot cover the gap: the held messages go out as they are, and the stream's local
    /// recipients are asked to reconnect, so that resuming they learn what was lost.
    /// </summary>
    private async Task GiveUpAsync(StreamCursor cursor, Target target)
    {
        lock (cursor.Gate)
        {
            foreach (var message in cursor.GiveUp())
            {
                _ = Fanout.SendMessage(target, message);
            }
        }

        var recipients = Registry.Receiving(cursor.Stream);
        Log.Lost(Logger, cursor.Stream, recipients.Count);
        await Registry.CloseEachAsync(recipients, LostReason, TimeSpan.FromSeconds(Drain.Value.DrainSeconds),
            (id, ex) => Log.CloseFailed(Logger, id, ex));
    }

    private enum Filled
    {
        Live,
        Again,
        Lost,
    }
}
