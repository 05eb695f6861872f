namespace Hub.Bench.Load;

/// <summary>Everything that went wrong in a round: counted in full, the first few kept word for word.</summary>
/// <param name="forward">Sees each error as it is added (a load process passes them on to the bench).</param>
internal sealed class ErrorLog(Action<string>? forward = null)
{
    private const int MaxSamples = 10;
    private readonly List<string> _samples = [];
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    public IReadOnlyList<string> Samples
    {
        get
        {
            lock (_samples)
            {
                return [.. _samples];
            }
        }
    }

    public void Add(string error)
    {
        Interlocked.Increment(ref _count);
        forward?.Invoke(error);
        lock (_samples)
        {
            if (_samples.Count < MaxSamples)
            {
                _samples.Add(error);
            }
        }
    }
}
