using System.Collections.Concurrent;

namespace Hub.Server.Connections;

/// <summary>
/// The streams this node has recipients for, each with its <see cref="StreamCursor"/>: <c>all</c>
/// while it has a connection, each connection's own stream, the streams of its users and of the
/// groups its connections are in. A stream is here from its first local recipient until its last
/// one leaves, so what a node keeps grows with its own connections and groups, never with the
/// cluster's streams. Kept by <see cref="ConnectionRegistry"/>.
/// </summary>
internal sealed class LocalStreams
{
    /// <summary>The node-local group that holds every connection of one user.</summary>
    /// <remarks>User ids cannot contain control characters, so this never meets a real group name.</remarks>
    public static string UserGroup(string userId) => UserGroupPrefix + userId;

    /// <summary>The stream a node-local group receives: its user's for a <see cref="UserGroup"/>, its own otherwise.</summary>
    public static string StreamOf(string localGroup) =>
        localGroup.StartsWith(UserGroupPrefix, StringComparison.Ordinal)
            ? "user:" + localGroup[UserGroupPrefix.Length..]
            : "group:" + localGroup;

    private const string UserGroupPrefix = "\u0001user:";

    private readonly ConcurrentDictionary<string, StreamCursor> _streams = new(StringComparer.Ordinal);
    private readonly Lock _changes = new();

    public int Count => _streams.Count;

    /// <summary>The stream's cursor, or null when no connection here receives it. Read on every bus message, without a lock.</summary>
    public StreamCursor? Find(string stream) => _streams.GetValueOrDefault(stream);

    public IReadOnlyList<StreamCursor> All => [.. _streams.Values];

    /// <summary>One more local recipient; the first one creates the cursor (see <paramref name="startsEmpty"/>).</summary>
    /// <param name="stream">The stream's name.</param>
    /// <param name="startsEmpty">The stream has had no message yet (a new connection's own stream).</param>
    public void Add(string stream, bool startsEmpty = false)
    {
        lock (_changes)
        {
            if (!_streams.TryGetValue(stream, out var cursor))
            {
                cursor = new StreamCursor(stream);
                if (startsEmpty)
                {
                    cursor.StartsEmpty();
                }

                _streams[stream] = cursor;
            }

            cursor.Recipients++;
        }
    }

    /// <summary>One local recipient fewer; the last one forgets the stream.</summary>
    public void Remove(string stream)
    {
        lock (_changes)
        {
            if (_streams.TryGetValue(stream, out var cursor) && --cursor.Recipients <= 0)
            {
                _streams.TryRemove(stream, out _);
            }
        }
    }
}
