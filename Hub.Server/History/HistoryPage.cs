using Hub.Client;

namespace Hub.Server.History;

/// <summary>
/// A read of one stream's history: its current position, the oldest offset still kept
/// (0 when none is), and the messages after the requested offset, oldest first.
/// </summary>
internal sealed record HistoryPage(string Epoch, long Offset, long OldestOffset, IReadOnlyList<Message> Messages);
