namespace Hub.Bench.Load;

/// <summary>
/// One receiver's latencies of a measured window, kept as they come (microseconds, in arrays of
/// <see cref="ChunkLength"/>) and put into a histogram only once the window is over
/// (<see cref="CopyTo"/>). A record is a store at the end of an array; a histogram of each
/// receiver's own (three per receiver, 139 KB each at 3 significant digits up to a minute, 500
/// receivers) took a cache miss per delivery, 12 % of the bench's CPU at 500,000
/// deliveries/s, CPU the servers it measures share. One writer at a time.
/// </summary>
internal sealed class LatencySamples
{
    private const int ChunkLength = 4096;
    private readonly List<int[]> _full = [];
    private int[] _current = [];
    private int _used;

    public void RecordSince(long startTimestamp)
    {
        if (_used == _current.Length)
        {
            if (_current.Length > 0)
            {
                _full.Add(_current);
            }

            _current = new int[ChunkLength];
            _used = 0;
        }

        _current[_used++] = LatencyHistogram.MicrosecondsSince(startTimestamp);
    }

    /// <summary>Records every sample in each of <paramref name="histograms"/>.</summary>
    public void CopyTo(params ReadOnlySpan<LatencyHistogram> histograms)
    {
        foreach (var histogram in histograms)
        {
            foreach (var chunk in _full)
            {
                histogram.Record(chunk);
            }

            histogram.Record(_current.AsSpan(0, _used));
        }
    }
}
