using Hub.Client;
using Hub.Server.Core;
using Microsoft.Extensions.Options;

namespace Hub.Server.History;

/// <summary>History for the single-node default, with the Redis store's behaviour: one epoch per stream
/// generation, offsets rising by 1, the last <c>Size</c> messages kept until the stream was quiet for <c>Ttl</c>.</summary>
internal sealed class InMemoryHistoryStore(IOptions<HistoryOptions> options, TimeProvider time) : IHistoryStore
{
    private readonly HistoryOptions _options = options.Value;
    private readonly Dictionary<string, StreamLog> _streams = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private long _appends;

    /// <summary>
    /// Assigns the next offset of the message's stream, keeps the message and returns the
    /// envelope carrying its position. The broker calls this under its own ordering lock.
    /// </summary>
    public Envelope Append(Envelope envelope)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (++_appends % 4096 == 0)
            {
                ForgetIdleStreams(now);
            }

            var stream = envelope.Message!.Stream;
            if (!_streams.TryGetValue(stream, out var log))
            {
                log = new StreamLog(Guid.NewGuid().ToString("N")[..12]);
                _streams.Add(stream, log);
            }

            var offset = ++log.Offset;
            log.LastUsed = now;
            var positioned = BusCodec.WithPosition(envelope, log.Epoch, offset);
            log.Entries.Enqueue(new Entry(offset, positioned.Message!));
            while (log.Entries.Count > _options.Size)
            {
                log.Entries.Dequeue();
            }

            return positioned;
        }
    }

    public Task<StreamPosition> GetPositionAsync(string stream, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_streams.TryGetValue(stream, out var log)
                ? new StreamPosition { Stream = stream, Epoch = log.Epoch, Offset = log.Offset }
                : new StreamPosition { Stream = stream, Epoch = "", Offset = 0 });
        }
    }

    public Task<HistoryPage> ReadAsync(string stream, long after, int limit, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            // Like Redis, a stream that never had a message has no epoch; reading does not create one.
            if (!_streams.TryGetValue(stream, out var log))
            {
                return Task.FromResult(new HistoryPage("", 0, 0, []));
            }

            ExpireIfIdle(log, now);
            var oldestOffset = log.Entries.TryPeek(out var first) ? first.Offset : 0;
            var messages = log.Entries.Where(e => e.Offset > after).Take(limit).Select(e => e.Message).ToList();
            return Task.FromResult(new HistoryPage(log.Epoch, log.Offset, oldestOffset, messages));
        }
    }

    // Same rule as the Redis meta key's expiry: a stream unused for MetaTtl starts a new epoch.
    private void ForgetIdleStreams(DateTimeOffset now)
    {
        foreach (var (name, log) in _streams)
        {
            if (now - log.LastUsed > _options.MetaTtl)
            {
                _streams.Remove(name);
            }
            else
            {
                ExpireIfIdle(log, now);
            }
        }
    }

    // As the Redis log key's expiry, refreshed by every append: a stream's messages go when
    // the stream was quiet for Ttl, not one by one.
    private void ExpireIfIdle(StreamLog log, DateTimeOffset now)
    {
        if (now - log.LastUsed >= _options.Ttl)
        {
            log.Entries.Clear();
        }
    }

    private sealed class StreamLog(string epoch)
    {
        public string Epoch { get; } = epoch;

        public long Offset { get; set; }

        public DateTimeOffset LastUsed { get; set; }

        public Queue<Entry> Entries { get; } = new();
    }

    private readonly record struct Entry(long Offset, Message Message);
}
