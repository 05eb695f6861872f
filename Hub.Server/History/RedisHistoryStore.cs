using Hub.Client;
using Hub.Server.Core;
using Hub.Server.Redis;
using StackExchange.Redis;
using StreamPosition = Hub.Client.StreamPosition;

namespace Hub.Server.History;

/// <summary>History kept in Redis streams, appended by the broker's publish script.</summary>
internal sealed class RedisHistoryStore(RedisConnection redis) : IHistoryStore
{
    public async Task<StreamPosition> GetPositionAsync(string stream, CancellationToken cancellationToken)
    {
        var page = await ReadAsync(stream, long.MaxValue - 1, 0, cancellationToken);
        return new StreamPosition { Stream = stream, Epoch = page.Epoch, Offset = page.Offset };
    }

    public async Task<HistoryPage> ReadAsync(string stream, long after, int limit, CancellationToken cancellationToken)
    {
        var keys = ScriptKeys.HistoryRead(stream);
        // From the next offset; long.MaxValue has none, and after + 1 would turn negative, which
        // Redis refuses as a stream id: nothing is after it, and reading from it finds nothing.
        RedisValue[] values = [after == long.MaxValue ? after : after + 1, limit];
        var result = (RedisResult[])(await RedisCalls.RunAsync(redis, 
            () => redis.Database.ScriptEvaluateAsync(RedisScripts.HistoryRead, keys, values, RedisCalls.Primary), cancellationToken))!;

        var epoch = (string?)result[0] ?? "";
        var entries = (RedisResult[])result[3]!;
        var messages = new List<Message>(entries.Length);
        foreach (var raw in entries)
        {
            var entry = (RedisResult[])raw!;
            var id = (string)entry[0]!;
            var offset = long.Parse(id.AsSpan(0, id.IndexOf('-')));
            var fields = (RedisResult[])entry[1]!;
            var envelope = BusCodec.Decode((byte[])fields[1]!);
            messages.Add(BusCodec.WithPosition(envelope, epoch, offset).Message!);
        }

        return new HistoryPage(epoch, (long)result[1], (long)result[2], messages)
        {
            Lineage = EndedEpoch.ParseLineage(stream, (string?)result[4] ?? ""),
        };
    }
}
