using System.Collections.Concurrent;

namespace Hub.Tests.Infrastructure;

/// <summary>Collects what a client receives and waits, bounded, for what a test expects.</summary>
public sealed class Inbox<T>
    where T : class
{
    private readonly ConcurrentQueue<T> _items = new();
    private readonly SemaphoreSlim _arrived = new(0);

    public void Add(T item)
    {
        _items.Enqueue(item);
        _arrived.Release();
    }

    public IReadOnlyList<T> Items => [.. _items];

    public async Task<T> WaitForAsync(Func<T, bool> match, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Bounded.Default);
        while (true)
        {
            var found = _items.FirstOrDefault(match);
            if (found is not null)
            {
                return found;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !await _arrived.WaitAsync(left))
            {
                Assert.Fail($"Timed out waiting for {what}; received {_items.Count} item(s).");
            }
        }
    }

    public async Task WaitForCountAsync(int count, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Bounded.Default);
        while (_items.Count < count)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !await _arrived.WaitAsync(left))
            {
                Assert.Fail($"Timed out waiting for {what}: {_items.Count} of {count} arrived.");
            }
        }
    }
}
