using Hub.Client;

namespace Hub.Server.History;

/// <summary>
/// A read of one stream's history: its current position, the oldest offset still kept
/// (0 when none is), and the messages after the requested offset, oldest first. On a Redis Cluster
/// also its <see cref="Lineage"/>: the ended epochs the current one continues.
/// </summary>
internal sealed record HistoryPage(string Epoch, long Offset, long OldestOffset, IReadOnlyList<Message> Messages)
{
    /// <summary>
    /// Epochs that ended without loss of what they kept, oldest first: a failover or a slot move
    /// took the stream to another master, which went on under a new epoch at the next offset. Their
    /// messages up to <see cref="EndedEpoch.LastOffset"/> are the current epoch's at the same offsets.
    /// </summary>
    public IReadOnlyList<EndedEpoch> Lineage { get; init; } = [];

    /// <summary>
    /// Whether a reader at (<paramref name="epoch"/>, <paramref name="offset"/>) goes on in this
    /// page's epoch from the same offset: the same epoch, or an ended one it continues, read no
    /// further than where that one ended. A position beyond it saw messages that did not survive.
    /// </summary>
    public bool Continues(string epoch, long offset) =>
        epoch == Epoch || (LastOffsetOf(epoch) is { } last && offset <= last);

    /// <summary>Where an ended epoch of the <see cref="Lineage"/> ended; null for any other epoch.</summary>
    public long? LastOffsetOf(string epoch)
    {
        foreach (var ended in Lineage)
        {
            if (ended.Epoch == epoch)
            {
                return ended.LastOffset;
            }
        }

        return null;
    }
}
