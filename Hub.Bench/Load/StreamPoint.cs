namespace Hub.Bench.Load;

/// <summary>
/// Where a frame stands on its stream, as far as the bench reads it: the offset and epoch of a
/// message, of a <c>Join</c>'s answer or of a <c>Resume</c>'s (of one stream), and whether that
/// <c>Resume</c> recovered it. <see cref="Epoch"/> is the raw JSON string, valid while the frame is.
/// </summary>
internal readonly ref struct StreamPoint(long offset, ReadOnlySpan<byte> epoch, bool? recovered)
{
    /// <summary>False for <c>default</c>: the frame named no position (or its protocol is not read for one).</summary>
    public bool Known { get; } = true;

    public long Offset { get; } = offset;

    public ReadOnlySpan<byte> Epoch { get; } = epoch;

    /// <summary>Only in a <c>Resume</c>'s answer: false when history no longer held what was missed.</summary>
    public bool? Recovered { get; } = recovered;
}
