namespace Hub.Bench.Load;

/// <summary>Whether the round is in its measured window: latencies outside it (warm-up, drain) are not recorded.</summary>
internal sealed class LoadPhase
{
    private volatile bool _measuring;

    public bool Measuring
    {
        get => _measuring;
        set => _measuring = value;
    }
}
