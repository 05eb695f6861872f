using Hub.Client;

namespace Hub.Server.History;

/// <summary>
/// Reads stream history. Appending is the broker's job, in the same atomic step as the
/// publish, so history and live delivery never diverge.
/// </summary>
internal interface IHistoryStore
{
    /// <summary>The stream's epoch and last offset used (0 if none).</summary>
    Task<StreamPosition> GetPositionAsync(string stream, CancellationToken cancellationToken);

    /// <summary>Up to <paramref name="limit"/> messages with offsets above <paramref name="after"/>, oldest first.</summary>
    Task<HistoryPage> ReadAsync(string stream, long after, int limit, CancellationToken cancellationToken);
}
