namespace Hub.Server.History;

/// <summary>An epoch of a stream that ended, and the last offset it held where it ended.</summary>
internal readonly record struct EndedEpoch(string Epoch, long LastOffset)
{
    /// <summary>Reads a lineage as publish.lua keeps it: "epoch:offset" pairs, space separated, oldest first.</summary>
    public static IReadOnlyList<EndedEpoch> ParseLineage(string stream, string lineage)
    {
        if (lineage.Length == 0)
        {
            return [];
        }

        var pairs = lineage.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var ended = new EndedEpoch[pairs.Length];
        for (var i = 0; i < pairs.Length; i++)
        {
            var colon = pairs[i].LastIndexOf(':');
            if (colon <= 0 || !long.TryParse(pairs[i].AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var last))
            {
                throw new FormatException($"The lineage of stream '{stream}' in Redis is not \"epoch:offset\" pairs: '{lineage}'.");
            }

            ended[i] = new EndedEpoch(pairs[i][..colon], last);
        }

        return ended;
    }
}
