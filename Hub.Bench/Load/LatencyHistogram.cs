using System.Diagnostics;
using HdrHistogram;

namespace Hub.Bench.Load;

/// <summary>Latencies in microseconds, 1 µs to 1 min, 3 significant digits. One writer at a time.</summary>
internal sealed class LatencyHistogram
{
    public const int MaxMicroseconds = 60_000_000;
    private readonly LongHistogram _histogram = new(MaxMicroseconds, 3);

    public long Count => _histogram.TotalCount;

    public void RecordSince(long startTimestamp) => _histogram.RecordValue(MicrosecondsSince(startTimestamp));

    /// <summary>The time since <paramref name="startTimestamp"/> (a Stopwatch timestamp), in whole microseconds within what a histogram records.</summary>
    public static int MicrosecondsSince(long startTimestamp) =>
        (int)Math.Clamp((long)Stopwatch.GetElapsedTime(startTimestamp).TotalMicroseconds, 1, MaxMicroseconds);

    /// <summary>Records latencies already in microseconds (<see cref="LatencySamples"/>).</summary>
    public void Record(ReadOnlySpan<int> micros)
    {
        foreach (var value in micros)
        {
            _histogram.RecordValue(value);
        }
    }

    public void Add(LatencyHistogram other) => _histogram.Add(other._histogram);

    /// <summary>The latency at <paramref name="percentile"/> in milliseconds; null when nothing was recorded.</summary>
    public double? Milliseconds(double percentile) =>
        Count == 0 ? null : _histogram.GetValueAtPercentile(percentile) / 1000.0;
}
